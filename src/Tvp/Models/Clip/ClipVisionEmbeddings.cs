using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tvp.Models.Clip;

/// <summary>HF <c>CLIPVisionEmbeddings</c>: class token + bias-free patch conv + learned position embeddings (ids 0..P).</summary>
internal sealed class ClipVisionEmbeddings : nn.Module<Tensor, Tensor>
{
    private readonly Parameter class_embedding;
    private readonly Conv2d patch_embedding;
    private readonly Embedding position_embedding;
    private readonly ClipVisionConfig _config;

    public ClipVisionEmbeddings(ClipVisionConfig config) : base("CLIPVisionEmbeddings")
    {
        _config = config;
        class_embedding = new Parameter(randn(config.HiddenSize));
        patch_embedding = nn.Conv2d(config.NumChannels, config.HiddenSize, config.PatchSize, stride: config.PatchSize, bias: false);
        position_embedding = nn.Embedding(config.NumPatches + 1, config.HiddenSize);
        register_parameter("class_embedding", class_embedding);
        register_module("patch_embedding", patch_embedding);
        register_module("position_embedding", position_embedding);
    }

    /// <summary>pixel values [B, C, S, S] (normalised, S = image_size) → [B, 1+P, D].</summary>
    public override Tensor forward(Tensor pixelValues)
    {
        int s = _config.ImageSize;
        if (pixelValues.dim() != 4 || pixelValues.shape[1] != _config.NumChannels || pixelValues.shape[2] != s || pixelValues.shape[3] != s)
            throw new ArgumentException($"CLIP vision: expected pixel values [B,{_config.NumChannels},{s},{s}], got [{string.Join(",", pixelValues.shape)}]");
        long b = pixelValues.shape[0];
        var patches = patch_embedding.forward(pixelValues.to(class_embedding.dtype)); // [B, D, S/p, S/p]
        patches = patches.flatten(2).transpose(1, 2); // [B, P, D] (row-major: y then x)
        var cls = class_embedding.view(1, 1, -1).expand(b, 1, -1); // [B, 1, D]
        var tokens = cat(new[] { cls, patches }, 1); // [B, 1+P, D]
        var positions = arange(_config.NumPatches + 1, dtype: ScalarType.Int64, device: pixelValues.device);
        return tokens + position_embedding.forward(positions).unsqueeze(0); // [B, 1+P, D]
    }
}
