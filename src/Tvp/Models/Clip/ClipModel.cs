using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tvp.Models.Clip;

/// <summary>
/// HF <c>CLIPModel</c>: vision and text towers, bias-free projections into the joint space and the learned
/// <c>logit_scale</c> (the checkpoint's value is used, not the config's initial value).
/// </summary>
internal sealed class ClipModel : nn.Module
{
    private readonly ClipVisionTransformer vision_model;
    private readonly ClipTextTransformer text_model;
    private readonly Linear visual_projection, text_projection;
    private readonly Parameter logit_scale;

    /// <summary>The configuration the model was built from.</summary>
    public ClipConfig Config { get; }

    /// <summary>The vision tower.</summary>
    public ClipVisionTransformer Vision => vision_model;

    /// <summary>The text tower.</summary>
    public ClipTextTransformer Text => text_model;

    public ClipModel(ClipConfig config) : base("CLIPModel")
    {
        Config = config;
        vision_model = new ClipVisionTransformer(config.Vision);
        text_model = new ClipTextTransformer(config.Text);
        visual_projection = nn.Linear(config.Vision.HiddenSize, config.ProjectionDim, hasBias: false);
        text_projection = nn.Linear(config.Text.HiddenSize, config.ProjectionDim, hasBias: false);
        logit_scale = new Parameter(tensor((float)config.LogitScaleInitValue));
        register_module("text_model", text_model);
        register_module("vision_model", vision_model);
        register_module("visual_projection", visual_projection);
        register_module("text_projection", text_projection);
        register_parameter("logit_scale", logit_scale);
    }

    /// <summary>HF <c>get_image_features</c>: normalised pixel values [B,3,S,S] → [B, projection_dim], not L2-normalised.</summary>
    public Tensor ImageFeatures(Tensor pixelValues)
    {
        var last = vision_model.forward(pixelValues); // [B, 1+P, D]
        return visual_projection.forward(vision_model.Pooled(last)).to(ScalarType.Float32); // float32 whatever the weight dtype
    }

    /// <summary>HF <c>get_text_features</c>: input ids [B,T] → [B, projection_dim], not L2-normalised.</summary>
    public Tensor TextFeatures(Tensor inputIds)
    {
        var last = text_model.forward(inputIds); // [B, T, D]
        return text_projection.forward(text_model.Pooled(inputIds, last)).to(ScalarType.Float32); // float32 whatever the weight dtype
    }

    /// <summary>Visual projection of vision hidden states (e.g. all patch tokens after post_layernorm).</summary>
    public Tensor ProjectVision(Tensor x) => visual_projection.forward(x);

    /// <summary>exp(logit_scale) as stored in the checkpoint (unclamped).</summary>
    public double LogitScale
    {
        get { using var _ = no_grad(); return Math.Exp(logit_scale.to(ScalarType.Float32).item<float>()); }
    }

    /// <summary>L2-normalises the last dimension (HF <c>image_embeds</c> / <c>text_embeds</c>).</summary>
    public static Tensor Normalize(Tensor features) => features / features.norm(-1, keepdim: true);
}
