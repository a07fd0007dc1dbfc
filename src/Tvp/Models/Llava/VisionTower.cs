using Tvp.Models.Clip;
using static TorchSharp.torch;

namespace Tvp.Models.Llava;

/// <summary>HF <c>CLIPVisionModel</c> as LLaVA holds it: a shell whose only child is <c>vision_model</c>.</summary>
internal sealed class VisionTower : nn.Module
{
    private readonly ClipVisionTransformer vision_model;

    public VisionTower(ClipVisionConfig c) : base(nameof(VisionTower))
    {
        vision_model = new ClipVisionTransformer(c);
        RegisterComponents();
    }

    /// <summary>The CLIP vision transformer.</summary>
    public ClipVisionTransformer Model => vision_model;
}
