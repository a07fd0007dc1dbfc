using System.Text.Json;
using Tvp.IO.Json;

namespace Tvp.Models.Clip;

/// <summary>
/// HF <c>CLIPVisionConfig</c>: the vision tower's sizes. Missing fields take HF's defaults (ViT-B/32).
/// </summary>
internal sealed record ClipVisionConfig(
    int HiddenSize = 768,
    int IntermediateSize = 3072,
    int NumHiddenLayers = 12,
    int NumAttentionHeads = 12,
    int ImageSize = 224,
    int PatchSize = 32,
    int NumChannels = 3,
    string HiddenAct = "quick_gelu",
    double LayerNormEps = 1e-5,
    int ProjectionDim = 512)
{
    /// <summary>Patches per side.</summary>
    public int PatchesPerSide => ImageSize / PatchSize;

    /// <summary>Number of patches P (the sequence is 1 + P tokens long).</summary>
    public int NumPatches => PatchesPerSide * PatchesPerSide;

    /// <summary>Reads a <c>vision_config</c> object (or a <c>clip_vision_model</c> config.json root); <paramref name="source"/> names it in errors.</summary>
    public static ClipVisionConfig FromJson(JsonElement e, string source = "vision_config") => From(ConfigJson.Bind<ClipVisionConfigJson>(e, source));

    /// <summary>The config a typed <c>vision_config</c> gives (absent keys: HF's defaults), validated; null: all defaults.</summary>
    public static ClipVisionConfig From(ClipVisionConfigJson? j)
    {
        var d = new ClipVisionConfig();
        if (j is null) return d;
        var c = new ClipVisionConfig(
            HiddenSize: j.HiddenSize ?? d.HiddenSize,
            IntermediateSize: j.IntermediateSize ?? d.IntermediateSize,
            NumHiddenLayers: j.NumHiddenLayers ?? d.NumHiddenLayers,
            NumAttentionHeads: j.NumAttentionHeads ?? d.NumAttentionHeads,
            ImageSize: j.ImageSize ?? d.ImageSize,
            PatchSize: j.PatchSize ?? d.PatchSize,
            NumChannels: j.NumChannels ?? d.NumChannels,
            HiddenAct: j.HiddenAct ?? d.HiddenAct,
            LayerNormEps: j.LayerNormEps ?? d.LayerNormEps,
            ProjectionDim: j.ProjectionDim ?? d.ProjectionDim);
        c.Validate();
        return c;
    }

    /// <summary>Throws when a size is out of range (<see cref="IO.Limits"/>) or the sizes are inconsistent; errors name the field.</summary>
    public void Validate()
    {
        const string f = "vision_config";
        var l = IO.Limits.Current;
        IO.Limits.Positive(f, "hidden_size", HiddenSize, l.MaxWidth);
        IO.Limits.Positive(f, "intermediate_size", IntermediateSize, l.MaxWidth);
        IO.Limits.Positive(f, "num_hidden_layers", NumHiddenLayers, l.MaxLayers);
        IO.Limits.Positive(f, "num_attention_heads", NumAttentionHeads, HiddenSize);
        IO.Limits.Positive(f, "image_size", ImageSize, l.MaxCanvasSize);
        IO.Limits.Positive(f, "patch_size", PatchSize, ImageSize);
        IO.Limits.Positive(f, "projection_dim", ProjectionDim, l.MaxWidth);
        if (NumChannels != 3) throw new InvalidDataException($"{f}: 'num_channels' must be 3 (RGB), got {NumChannels}");
        IO.Limits.FiniteAbove(f, "layer_norm_eps", LayerNormEps, 0, 1);
        if (HiddenSize % NumAttentionHeads != 0)
            throw new InvalidDataException($"vision_config: hidden_size {HiddenSize} is not divisible by num_attention_heads {NumAttentionHeads}");
        if (ImageSize % PatchSize != 0)
            throw new InvalidDataException($"vision_config: image_size {ImageSize} is not divisible by patch_size {PatchSize}");
        ClipActivation.Check(HiddenAct, "vision_config");
        double h = HiddenSize, tokens = NumPatches + 1.0;
        l.CheckParameters(f, NumHiddenLayers * (4 * h * h + 2 * h * IntermediateSize) + 3.0 * PatchSize * PatchSize * h + tokens * h);
        l.CheckActivation(f, "one attention map", NumAttentionHeads * tokens * tokens);
        l.CheckActivation(f, "one MLP activation", tokens * IntermediateSize);
    }

    /// <summary>The HF JSON object for this config.</summary>
    public Dictionary<string, object> ToJson() => new()
    {
        ["hidden_size"] = HiddenSize,
        ["intermediate_size"] = IntermediateSize,
        ["num_hidden_layers"] = NumHiddenLayers,
        ["num_attention_heads"] = NumAttentionHeads,
        ["image_size"] = ImageSize,
        ["patch_size"] = PatchSize,
        ["num_channels"] = NumChannels,
        ["hidden_act"] = HiddenAct,
        ["layer_norm_eps"] = LayerNormEps,
        ["projection_dim"] = ProjectionDim,
        ["model_type"] = "clip_vision_model",
    };
}
