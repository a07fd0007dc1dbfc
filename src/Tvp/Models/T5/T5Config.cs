using System.Text.Json;
using Tvp.Models.Clip;
using Tvp.IO.Json;

namespace Tvp.Models.T5;

/// <summary>The fields of a HuggingFace <c>T5Config</c> (Flan-T5; a BLIP-2 <c>text_config</c> with model_type t5).</summary>
/// <param name="VocabSize">Vocabulary size.</param>
/// <param name="DModel">Model width.</param>
/// <param name="DKv">Per-head width.</param>
/// <param name="DFf">Feed-forward inner width.</param>
/// <param name="NumLayers">Encoder blocks.</param>
/// <param name="NumDecoderLayers">Decoder blocks.</param>
/// <param name="NumHeads">Attention heads.</param>
/// <param name="NumBuckets">Relative position buckets.</param>
/// <param name="MaxDistance">Relative position distance beyond which buckets saturate.</param>
/// <param name="LayerNormEps">RMS norm epsilon.</param>
/// <param name="DenseAct">Feed-forward activation (<c>dense_act_fn</c>).</param>
/// <param name="IsGatedAct">Gated feed-forward (<c>wi_0</c>/<c>wi_1</c>) or plain (<c>wi</c>).</param>
/// <param name="TieWordEmbeddings">Head = <c>shared</c> (and the decoder output rescaled by d_model^-0.5).</param>
/// <param name="PadTokenId">Pad id.</param>
/// <param name="EosTokenId">EOS id.</param>
/// <param name="DecoderStartTokenId">First decoder input id.</param>
internal sealed record T5Config(int VocabSize, int DModel, int DKv, int DFf, int NumLayers, int NumDecoderLayers, int NumHeads,
    int NumBuckets = 32, int MaxDistance = 128, double LayerNormEps = 1e-6, string DenseAct = "relu", bool IsGatedAct = false,
    bool TieWordEmbeddings = true, int PadTokenId = 0, int EosTokenId = 1, int DecoderStartTokenId = 0)
{
    /// <summary>Parses a T5 config object; <paramref name="source"/> names it in errors (see <see cref="From"/>).</summary>
    public static T5Config FromJson(JsonElement e, string source) => From(ConfigJson.Bind<T5ConfigJson>(e, source), source);

    /// <summary>
    /// The config a typed T5 config gives. As HF's T5Config: <c>feed_forward_proj</c> "gated-X" means a gated FF with
    /// activation X ("gated-gelu" maps to gelu_new); explicit <c>dense_act_fn</c> / <c>is_gated_act</c> keys
    /// override that (BLIP-2's Flan-T5 configs say <c>dense_act_fn</c> "gelu", exact GELU).
    /// </summary>
    public static T5Config From(T5ConfigJson j, string source)
    {
        var ffp = j.FeedForwardProj ?? "relu";
        var parts = ffp.Split('-');
        if (parts.Length > 2 || (parts.Length == 2 && parts[0] != "gated"))
            throw new InvalidDataException($"{source}: feed_forward_proj '{ffp}' is not 'ACT' or 'gated-ACT'");
        bool gated = j.IsGatedAct ?? parts.Length == 2;
        var act = j.DenseActFn ?? (ffp == "gated-gelu" ? "gelu_new" : parts[^1]);
        ClipActivation.Check(act, source + " dense_act_fn");
        int layers = j.NumLayers ?? 6;
        return new T5Config(
            VocabSize: j.VocabSize ?? 32128, DModel: j.DModel ?? 512,
            DKv: j.DKv ?? 64, DFf: j.DFf ?? 2048,
            NumLayers: layers, NumDecoderLayers: j.NumDecoderLayers ?? layers,
            NumHeads: j.NumHeads ?? 8,
            NumBuckets: j.RelativeAttentionNumBuckets ?? 32,
            MaxDistance: j.RelativeAttentionMaxDistance ?? 128,
            LayerNormEps: j.LayerNormEpsilon ?? 1e-6,
            DenseAct: act, IsGatedAct: gated,
            TieWordEmbeddings: j.TieWordEmbeddings ?? true,
            PadTokenId: j.PadTokenId ?? 0, EosTokenId: j.EosTokenId ?? 1,
            DecoderStartTokenId: j.DecoderStartTokenId ?? 0);
    }

    /// <summary>The config as HF config.json fields.</summary>
    internal Dictionary<string, object?> ToJsonFields() => new()
    {
        ["model_type"] = "t5", ["architectures"] = new[] { "T5ForConditionalGeneration" }, ["is_encoder_decoder"] = true,
        ["vocab_size"] = VocabSize, ["d_model"] = DModel, ["d_kv"] = DKv, ["d_ff"] = DFf, ["num_layers"] = NumLayers,
        ["num_decoder_layers"] = NumDecoderLayers, ["num_heads"] = NumHeads, ["relative_attention_num_buckets"] = NumBuckets,
        ["relative_attention_max_distance"] = MaxDistance, ["layer_norm_epsilon"] = LayerNormEps,
        ["feed_forward_proj"] = (IsGatedAct ? "gated-" : "") + (DenseAct == "gelu_new" ? "gelu" : DenseAct),
        ["dense_act_fn"] = DenseAct, ["is_gated_act"] = IsGatedAct, ["tie_word_embeddings"] = TieWordEmbeddings,
        ["pad_token_id"] = PadTokenId, ["eos_token_id"] = EosTokenId, ["decoder_start_token_id"] = DecoderStartTokenId,
    };
}
