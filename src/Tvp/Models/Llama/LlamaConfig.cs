using System.Text.Json;

namespace Tvp.Models.Llama;

/// <summary>
/// The fields of a HuggingFace <c>LlamaConfig</c> (config.json, or the <c>text_config</c> of a LLaVA config)
/// that the decoder needs. Vicuna and LLaMA-2 checkpoints use this family.
/// </summary>
/// <param name="VocabSize">Vocabulary size.</param>
/// <param name="HiddenSize">Model width.</param>
/// <param name="IntermediateSize">SwiGLU inner width.</param>
/// <param name="NumLayers">Decoder layers.</param>
/// <param name="NumHeads">Query heads.</param>
/// <param name="NumKeyValueHeads">Key/value heads (grouped-query attention when fewer than the query heads).</param>
/// <param name="HeadDim">Per-head width.</param>
/// <param name="RmsNormEps">RMSNorm epsilon.</param>
/// <param name="RopeTheta">Rotary base.</param>
/// <param name="RopeLinearFactor">Linear rope scaling factor (1 = none): positions are divided by it.</param>
/// <param name="TieWordEmbeddings">True when the output head shares the token embedding.</param>
/// <param name="AttentionBias">Bias on q/k/v/o projections.</param>
/// <param name="MlpBias">Bias on the MLP projections.</param>
/// <param name="BosTokenId">Beginning-of-sequence id, if any.</param>
/// <param name="EosTokenId">End-of-sequence id, if any (the first one when config lists several).</param>
/// <param name="PadTokenId">Padding id, if any.</param>
public sealed record LlamaConfig(
    int VocabSize, int HiddenSize, int IntermediateSize, int NumLayers, int NumHeads, int NumKeyValueHeads,
    int HeadDim, double RmsNormEps = 1e-6, double RopeTheta = 10000.0, double RopeLinearFactor = 1.0,
    bool TieWordEmbeddings = false, bool AttentionBias = false, bool MlpBias = false,
    int? BosTokenId = 1, int? EosTokenId = 2, int? PadTokenId = null)
{
    /// <summary>Reads a LLaMA config object (HF field names); <paramref name="source"/> names the file in errors.</summary>
    /// <exception cref="InvalidDataException">The heads do not divide or the rope scaling type is not supported.</exception>
    public static LlamaConfig FromJson(JsonElement e, string source = "config.json")
    {
        // Missing sizes take HF LlamaConfig's defaults (LLaMA-7B), as transformers does for partial text_configs.
        int Req(string name, int fallback) => OptInt(e, name) ?? fallback;
        int hidden = Req("hidden_size", 4096);
        int heads = Req("num_attention_heads", 32);
        int kvHeads = OptInt(e, "num_key_value_heads") ?? heads;
        int headDim = OptInt(e, "head_dim") ?? hidden / heads;
        if (heads % kvHeads != 0)
            throw new InvalidDataException($"{source}: num_attention_heads {heads} is not a multiple of num_key_value_heads {kvHeads}");
        double factor = 1.0;
        if (e.TryGetProperty("rope_scaling", out var rs) && rs.ValueKind == JsonValueKind.Object)
        {
            var type = rs.TryGetProperty("rope_type", out var t) ? t.GetString()
                : rs.TryGetProperty("type", out var t2) ? t2.GetString() : null;
            if (type is "default") factor = 1.0;
            else if (type is "linear") factor = rs.GetProperty("factor").GetDouble();
            else throw new InvalidDataException($"{source}: rope_scaling type '{type}' is not supported (only 'linear')");
        }
        return new LlamaConfig(
            VocabSize: Req("vocab_size", 32000), HiddenSize: hidden, IntermediateSize: Req("intermediate_size", 11008),
            NumLayers: Req("num_hidden_layers", 32), NumHeads: heads, NumKeyValueHeads: kvHeads, HeadDim: headDim,
            RmsNormEps: OptDouble(e, "rms_norm_eps") ?? 1e-6,
            RopeTheta: OptDouble(e, "rope_theta") ?? 10000.0,
            RopeLinearFactor: factor,
            TieWordEmbeddings: OptBool(e, "tie_word_embeddings") ?? false,
            AttentionBias: OptBool(e, "attention_bias") ?? false,
            MlpBias: OptBool(e, "mlp_bias") ?? false,
            BosTokenId: OptInt(e, "bos_token_id"),
            EosTokenId: OptInt(e, "eos_token_id"),
            PadTokenId: OptInt(e, "pad_token_id"));
    }

    /// <summary>Reads <c>config.json</c> of a <c>LlamaForCausalLM</c> folder.</summary>
    public static LlamaConfig Load(string folder)
    {
        var path = Path.Combine(folder, "config.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"{folder}: no config.json", path);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return FromJson(doc.RootElement, path);
    }

    /// <summary>The config as HF config.json fields (for writing checkpoints).</summary>
    internal Dictionary<string, object?> ToJsonFields() => new()
    {
        ["model_type"] = "llama",
        ["vocab_size"] = VocabSize, ["hidden_size"] = HiddenSize, ["intermediate_size"] = IntermediateSize,
        ["num_hidden_layers"] = NumLayers, ["num_attention_heads"] = NumHeads, ["num_key_value_heads"] = NumKeyValueHeads,
        ["head_dim"] = HeadDim, ["hidden_act"] = "silu", ["max_position_embeddings"] = 4096, ["rms_norm_eps"] = RmsNormEps,
        ["rope_theta"] = RopeTheta,
        ["rope_scaling"] = RopeLinearFactor == 1.0 ? null : new Dictionary<string, object> { ["type"] = "linear", ["factor"] = RopeLinearFactor },
        ["tie_word_embeddings"] = TieWordEmbeddings, ["attention_bias"] = AttentionBias, ["mlp_bias"] = MlpBias,
        ["bos_token_id"] = BosTokenId, ["eos_token_id"] = EosTokenId, ["pad_token_id"] = PadTokenId,
    };

    internal static int? OptInt(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var v)) return null;
        return v.ValueKind switch
        {
            JsonValueKind.Number => v.GetInt32(),
            JsonValueKind.Array when v.GetArrayLength() > 0 => v[0].GetInt32(),
            _ => null,
        };
    }

    internal static double? OptDouble(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    internal static bool? OptBool(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;
}
