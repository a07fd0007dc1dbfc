using System.Text.Json;
using Tvp.Models.Clip;
using Tvp.Models.Llama;

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
    /// <summary>Parses a qformer_config object (HF names and defaults).</summary>
    public static Blip2QFormerConfig FromJson(JsonElement e, string source)
    {
        var d = new Blip2QFormerConfig();
        var act = ClipJson.String(e, "hidden_act", d.HiddenAct);
        ClipActivation.Check(act, source + " hidden_act");
        var pet = ClipJson.String(e, "position_embedding_type", "absolute");
        if (pet != "absolute") throw new NotSupportedException($"{source}: position_embedding_type '{pet}' is not supported (only absolute)");
        var c = new Blip2QFormerConfig(
            HiddenSize: LlamaConfig.OptInt(e, "hidden_size") ?? d.HiddenSize,
            NumLayers: LlamaConfig.OptInt(e, "num_hidden_layers") ?? d.NumLayers,
            NumHeads: LlamaConfig.OptInt(e, "num_attention_heads") ?? d.NumHeads,
            IntermediateSize: LlamaConfig.OptInt(e, "intermediate_size") ?? d.IntermediateSize,
            HiddenAct: act, LayerNormEps: LlamaConfig.OptDouble(e, "layer_norm_eps") ?? d.LayerNormEps,
            CrossAttentionFrequency: LlamaConfig.OptInt(e, "cross_attention_frequency") ?? d.CrossAttentionFrequency,
            EncoderHiddenSize: LlamaConfig.OptInt(e, "encoder_hidden_size") ?? d.EncoderHiddenSize,
            VocabSize: LlamaConfig.OptInt(e, "vocab_size") ?? d.VocabSize,
            MaxPositionEmbeddings: LlamaConfig.OptInt(e, "max_position_embeddings") ?? d.MaxPositionEmbeddings,
            PadTokenId: LlamaConfig.OptInt(e, "pad_token_id") ?? d.PadTokenId);
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
