using System.Text.Json;

namespace Tvp.Models.Clip;

/// <summary>HF <c>CLIPConfig</c>: both towers, the shared projection size and the logit scale's initial value.</summary>
internal sealed record ClipConfig(ClipTextConfig Text, ClipVisionConfig Vision, int ProjectionDim = 512, double LogitScaleInitValue = 2.6592)
{
    /// <summary>The config a typed <c>model_type: clip</c> config.json gives (missing sub-configs take HF's defaults), validated.</summary>
    public static ClipConfig From(ClipConfigJson j)
    {
        var c = new ClipConfig(ClipTextConfig.From(j.TextConfig), ClipVisionConfig.From(j.VisionConfig),
            j.ProjectionDim ?? 512, j.LogitScaleInitValue ?? 2.6592);
        IO.Limits.Positive("config", "projection_dim", c.ProjectionDim, IO.Limits.Current.MaxWidth);
        if (!double.IsFinite(c.LogitScaleInitValue) || Math.Abs(c.LogitScaleInitValue) > 100)
            throw new InvalidDataException($"'logit_scale_init_value' must be a finite number in -100..100, got {c.LogitScaleInitValue}");
        return c;
    }

    /// <summary>The HF config.json content.</summary>
    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["architectures"] = new[] { "CLIPModel" },
        ["model_type"] = "clip",
        ["projection_dim"] = ProjectionDim,
        ["logit_scale_init_value"] = LogitScaleInitValue,
        ["torch_dtype"] = "float32",
        ["text_config"] = Text.ToJson(),
        ["vision_config"] = Vision.ToJson(),
    }, new JsonSerializerOptions { WriteIndented = true });

    /// <summary>The sizes of openai/clip-vit-base-patch32 (ViT-B/32 vision, 12-layer 512-wide text tower).</summary>
    public static ClipConfig VitB32 => new(
        new ClipTextConfig(BosTokenId: 49406, EosTokenId: 49407),
        new ClipVisionConfig());
}
