using System.Text.Json;
using Tvp.IO.Json;

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
internal sealed record LlamaConfig(
    int VocabSize, int HiddenSize, int IntermediateSize, int NumLayers, int NumHeads, int NumKeyValueHeads,
    int HeadDim, double RmsNormEps = 1e-6, double RopeTheta = 10000.0, double RopeLinearFactor = 1.0,
    bool TieWordEmbeddings = false, bool AttentionBias = false, bool MlpBias = false,
    int? BosTokenId = 1, int? EosTokenId = 2, int? PadTokenId = null)
{
    /// <summary>Reads a LLaMA config object (HF field names); <paramref name="source"/> names the file in errors.</summary>
    /// <exception cref="InvalidDataException">A field of the wrong type, heads that do not divide, or an unsupported rope scaling type.</exception>
    public static LlamaConfig FromJson(JsonElement e, string source = "config.json") => From(ConfigJson.Bind<LlamaConfigJson>(e, source), source);

    /// <summary>The config a typed LLaMA config.json gives (missing sizes: HF LlamaConfig's defaults, LLaMA-7B, as transformers does for partial text_configs), validated.</summary>
    internal static LlamaConfig From(LlamaConfigJson j, string source)
    {
        int hidden = j.HiddenSize ?? 4096;
        int heads = j.NumAttentionHeads ?? 32;
        int kvHeads = j.NumKeyValueHeads ?? heads;
        if (heads <= 0 || kvHeads <= 0) throw new InvalidDataException($"{source}: 'num_attention_heads' and 'num_key_value_heads' must be positive, got {heads} and {kvHeads}");
        if (hidden <= 0) throw new InvalidDataException($"{source}: 'hidden_size' must be positive, got {hidden}");
        int headDim = j.HeadDim ?? hidden / heads;
        if (heads % kvHeads != 0)
            throw new InvalidDataException($"{source}: num_attention_heads {heads} is not a multiple of num_key_value_heads {kvHeads}");
        double factor = 1.0;
        if (j.RopeScaling is { } rs)
        {
            var type = rs.RopeType ?? rs.Type;
            if (type is "default") factor = 1.0;
            else if (type is "linear") factor = rs.Factor ?? throw new InvalidDataException($"{source}: rope_scaling of type 'linear' needs a numeric 'factor'");
            else throw new InvalidDataException($"{source}: rope_scaling type '{type}' is not supported (only 'linear')");
        }
        var config = new LlamaConfig(
            VocabSize: j.VocabSize ?? 32000, HiddenSize: hidden, IntermediateSize: j.IntermediateSize ?? 11008,
            NumLayers: j.NumHiddenLayers ?? 32, NumHeads: heads, NumKeyValueHeads: kvHeads, HeadDim: headDim,
            RmsNormEps: j.RmsNormEps ?? 1e-6,
            RopeTheta: j.RopeTheta ?? 10000.0,
            RopeLinearFactor: factor,
            TieWordEmbeddings: j.TieWordEmbeddings ?? false,
            AttentionBias: j.AttentionBias ?? false,
            MlpBias: j.MlpBias ?? false,
            BosTokenId: j.BosTokenId,
            EosTokenId: j.EosTokenId,
            PadTokenId: j.PadTokenId);
        config.Validate(source);
        return config;
    }

    /// <summary>Range-checks every size against <see cref="IO.Limits"/> before anything is allocated; errors name <paramref name="source"/> and the field.</summary>
    public void Validate(string source)
    {
        var l = IO.Limits.Current;
        IO.Limits.Positive(source, "vocab_size", VocabSize, l.MaxVocabulary);
        IO.Limits.Positive(source, "hidden_size", HiddenSize, l.MaxWidth);
        IO.Limits.Positive(source, "intermediate_size", IntermediateSize, l.MaxWidth);
        IO.Limits.Positive(source, "num_hidden_layers", NumLayers, l.MaxLayers);
        IO.Limits.Positive(source, "num_attention_heads", NumHeads, l.MaxWidth);
        IO.Limits.Positive(source, "num_key_value_heads", NumKeyValueHeads, NumHeads);
        IO.Limits.Positive(source, "head_dim", HeadDim, l.MaxWidth);
        IO.Limits.FiniteAbove(source, "rms_norm_eps", RmsNormEps, 0, 1);
        IO.Limits.FiniteAbove(source, "rope_theta", RopeTheta, 0);
        IO.Limits.FiniteAbove(source, "rope_scaling.factor", RopeLinearFactor, 0);
        foreach (var (name, id) in new[] { ("bos_token_id", BosTokenId), ("eos_token_id", EosTokenId), ("pad_token_id", PadTokenId) })
            if (id is int v && v < 0) throw new InvalidDataException($"{source}: '{name}' must be >= 0, got {v}");
        double h = HiddenSize, q = (double)NumHeads * HeadDim, kv = (double)NumKeyValueHeads * HeadDim;
        l.CheckParameters(source, VocabSize * h * (TieWordEmbeddings ? 1 : 2) + NumLayers * (2 * h * q + 2 * h * kv + 3 * h * IntermediateSize));
        l.CheckActivation(source, "one layer's attention projection", q);
    }

    /// <summary>Reads <c>config.json</c> of a <c>LlamaForCausalLM</c> folder.</summary>
    public static LlamaConfig Load(string folder)
    {
        var path = Path.Combine(folder, "config.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"{folder}: no config.json", path);
        return From(ConfigJson.ReadFile<LlamaConfigJson>(path), path);
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
}
