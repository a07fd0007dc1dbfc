using Tvp.Models.Clip;
using Tvp.IO.Json;

namespace Tvp.Models.Blip2;

/// <summary>HF <c>Blip2VisionConfig</c> / <c>InstructBlipVisionConfig</c> (EVA-CLIP ViT as BLIP-2 holds it).</summary>
/// <param name="HiddenSize">Width.</param>
/// <param name="IntermediateSize">MLP inner width.</param>
/// <param name="NumLayers">Encoder layers.</param>
/// <param name="NumHeads">Attention heads.</param>
/// <param name="ImageSize">Input size in pixels.</param>
/// <param name="PatchSize">Patch size.</param>
/// <param name="HiddenAct">MLP activation.</param>
/// <param name="LayerNormEps">Epsilon of every vision layer norm.</param>
/// <param name="QkvBias">Bias on the fused qkv projection (cat(q_bias, 0, v_bias)).</param>
internal sealed record Blip2VisionConfig(int HiddenSize = 1408, int IntermediateSize = 6144, int NumLayers = 39, int NumHeads = 16,
    int ImageSize = 224, int PatchSize = 14, string HiddenAct = "gelu", double LayerNormEps = 1e-6, bool QkvBias = true)
{
    /// <summary>Patches per image.</summary>
    public int NumPatches => (ImageSize / PatchSize) * (ImageSize / PatchSize);

    /// <summary>The config a typed vision_config gives (HF's defaults for absent keys), checked.</summary>
    public static Blip2VisionConfig From(Blip2VisionConfigJson j, string source)
    {
        var d = new Blip2VisionConfig();
        var act = j.HiddenAct ?? d.HiddenAct;
        ClipActivation.Check(act, source + " hidden_act");
        var c = new Blip2VisionConfig(
            HiddenSize: j.HiddenSize ?? d.HiddenSize,
            IntermediateSize: j.IntermediateSize ?? d.IntermediateSize,
            NumLayers: j.NumHiddenLayers ?? d.NumLayers,
            NumHeads: j.NumAttentionHeads ?? d.NumHeads,
            ImageSize: j.ImageSize ?? d.ImageSize,
            PatchSize: j.PatchSize ?? d.PatchSize,
            HiddenAct: act, LayerNormEps: j.LayerNormEps ?? d.LayerNormEps,
            QkvBias: j.QkvBias ?? d.QkvBias);
        if (c.HiddenSize % c.NumHeads != 0) throw new InvalidDataException($"{source}: hidden_size {c.HiddenSize} is not a multiple of num_attention_heads {c.NumHeads}");
        if (c.ImageSize % c.PatchSize != 0) throw new InvalidDataException($"{source}: image_size {c.ImageSize} is not a multiple of patch_size {c.PatchSize}");
        return c;
    }

    /// <summary>The config as HF fields.</summary>
    internal Dictionary<string, object?> ToJsonFields(string modelType) => new()
    {
        ["model_type"] = modelType, ["hidden_size"] = HiddenSize, ["intermediate_size"] = IntermediateSize,
        ["num_hidden_layers"] = NumLayers, ["num_attention_heads"] = NumHeads, ["image_size"] = ImageSize,
        ["patch_size"] = PatchSize, ["hidden_act"] = HiddenAct, ["layer_norm_eps"] = LayerNormEps, ["qkv_bias"] = QkvBias,
    };
}
