using Tvp.Models.Clip;
using Tvp.IO.Json;

namespace Tvp.Models.Blip2;

/// <summary>HF <c>Blip2QFormerConfig</c> / <c>InstructBlipQFormerConfig</c> (a BERT with cross-attention to the image).</summary>
/// <param name="HiddenSize">Width.</param>
/// <param name="NumLayers">Layers.</param>
/// <param name="NumHeads">Attention heads.</param>
/// <param name="IntermediateSize">Feed-forward inner width.</param>
/// <param name="HiddenAct">Feed-forward activation.</param>
/// <param name="LayerNormEps">LayerNorm epsilon.</param>
/// <param name="CrossAttentionFrequency">Layer i cross-attends iff i % frequency == 0.</param>
/// <param name="EncoderHiddenSize">Width of the image features cross-attended to.</param>
/// <param name="VocabSize">Instruction vocabulary (InstructBLIP).</param>
/// <param name="MaxPositionEmbeddings">Instruction positions (InstructBLIP).</param>
/// <param name="PadTokenId">Instruction pad id.</param>
internal sealed record Blip2QFormerConfig(int HiddenSize = 768, int NumLayers = 12, int NumHeads = 12, int IntermediateSize = 3072,
    string HiddenAct = "gelu", double LayerNormEps = 1e-12, int CrossAttentionFrequency = 2, int EncoderHiddenSize = 1408,
    int VocabSize = 30522, int MaxPositionEmbeddings = 512, int PadTokenId = 0)
{
    /// <summary>The config a typed qformer_config gives (HF's defaults for absent keys), checked.</summary>
    public static Blip2QFormerConfig From(Blip2QFormerConfigJson j, string source)
    {
        var d = new Blip2QFormerConfig();
        var act = j.HiddenAct ?? d.HiddenAct;
        ClipActivation.Check(act, source + " hidden_act");
        var pet = j.PositionEmbeddingType ?? "absolute";
        if (pet != "absolute") throw new NotSupportedException($"{source}: position_embedding_type '{pet}' is not supported (only absolute)");
        var c = new Blip2QFormerConfig(
            HiddenSize: j.HiddenSize ?? d.HiddenSize,
            NumLayers: j.NumHiddenLayers ?? d.NumLayers,
            NumHeads: j.NumAttentionHeads ?? d.NumHeads,
            IntermediateSize: j.IntermediateSize ?? d.IntermediateSize,
            HiddenAct: act, LayerNormEps: j.LayerNormEps ?? d.LayerNormEps,
            CrossAttentionFrequency: j.CrossAttentionFrequency ?? d.CrossAttentionFrequency,
            EncoderHiddenSize: j.EncoderHiddenSize ?? d.EncoderHiddenSize,
            VocabSize: j.VocabSize ?? d.VocabSize,
            MaxPositionEmbeddings: j.MaxPositionEmbeddings ?? d.MaxPositionEmbeddings,
            PadTokenId: j.PadTokenId ?? d.PadTokenId);
        if (c.HiddenSize % c.NumHeads != 0) throw new InvalidDataException($"{source}: hidden_size {c.HiddenSize} is not a multiple of num_attention_heads {c.NumHeads}");
        if (c.CrossAttentionFrequency < 1) throw new InvalidDataException($"{source}: cross_attention_frequency must be at least 1");
        return c;
    }

    /// <summary>The config as HF fields.</summary>
    internal Dictionary<string, object?> ToJsonFields(string modelType, bool textInput) => new()
    {
        ["model_type"] = modelType, ["hidden_size"] = HiddenSize, ["num_hidden_layers"] = NumLayers, ["num_attention_heads"] = NumHeads,
        ["intermediate_size"] = IntermediateSize, ["hidden_act"] = HiddenAct, ["layer_norm_eps"] = LayerNormEps,
        ["cross_attention_frequency"] = CrossAttentionFrequency, ["encoder_hidden_size"] = EncoderHiddenSize,
        ["vocab_size"] = VocabSize, ["max_position_embeddings"] = MaxPositionEmbeddings, ["pad_token_id"] = PadTokenId,
        ["position_embedding_type"] = "absolute", ["use_qformer_text_input"] = textInput,
    };
}
