using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tvp.Models.Blip2;

/// <summary>BLIP-2 vision embeddings: <c>class_embedding</c> [1,1,D], <c>patch_embedding</c> (Conv2d with bias), <c>position_embedding</c> [1,1+P,D].</summary>
internal sealed class Blip2VisionEmbeddings : nn.Module<Tensor, Tensor>
{
    private readonly Parameter class_embedding, position_embedding;
    private readonly Conv2d patch_embedding;

    public Blip2VisionEmbeddings(Blip2VisionConfig c) : base(nameof(Blip2VisionEmbeddings))
    {
        class_embedding = new Parameter(zeros(1, 1, c.HiddenSize));
        patch_embedding = nn.Conv2d(3, c.HiddenSize, kernel_size: c.PatchSize, stride: c.PatchSize, bias: true);
        position_embedding = new Parameter(zeros(1, c.NumPatches + 1, c.HiddenSize));
        RegisterComponents();
    }

    /// <summary>Pixel values [B,3,S,S] → embeddings [B,1+P,D] (patches row-major after the class token).</summary>
    public override Tensor forward(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        long b = pixels.shape[0];
        var patches = patch_embedding.forward(pixels.to(patch_embedding.weight!.dtype)).flatten(2).transpose(1, 2); // [B, P, D]
        var cls = class_embedding.expand(b, 1, class_embedding.shape[2]);                                          // [B, 1, D]
        var x = cat(new[] { cls, patches }, 1);                                                                    // [B, 1+P, D]
        if (x.shape[1] != position_embedding.shape[1])
            throw new ArgumentException($"blip-2 vision: {x.shape[1] - 1} patches but position embeddings for {position_embedding.shape[1] - 1} (pixel values must be the config's image_size)");
        return (x + position_embedding).MoveToOuterDisposeScope();
    }
}
