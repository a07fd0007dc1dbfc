using Tvp.IO.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Tvp.Models.Clip;

/// <summary>
/// CLIP's preprocessing. Plain images: bicubic resize of the shortest edge to the model's size, centre
/// crop, CLIP mean/std (HF <c>CLIPImageProcessor</c>; the resize runs on float pixels with antialiasing
/// rather than on PIL's 8-bit image, so values differ from HF's by up to about one grey level). Prompted
/// canvases: <see cref="ModelInput.Prepare"/>, a differentiable square resize and the same normalisation.
/// </summary>
internal static class ClipImageProcessor
{
    /// <summary>The model's input description: size from the vision config, mean/std from <c>preprocessor_config.json</c> when present, else CLIP's.</summary>
    public static ModelInfo Info(string name, string folder, ClipVisionConfig vision)
    {
        float[] mean = ModelInfo.ClipMean, std = ModelInfo.ClipStd;
        var path = Path.Combine(folder, "preprocessor_config.json");
        if (File.Exists(path))
        {
            var j = PreprocessorConfigJson.Read(path);
            mean = Triple(j.ImageMean) ?? mean;
            std = Triple(j.ImageStd) ?? std;
        }
        return new ModelInfo(name, "clip", vision.ImageSize, mean, std, "bicubic");
    }

    /// <summary>A per-channel triple, or null (absent, or not three values: CLIP's own mean/std apply).</summary>
    private static float[]? Triple(IReadOnlyList<double>? v) => v is { Count: 3 } ? v.Select(x => (float)x).ToArray() : null;

    /// <summary>A decoded image [3,H,W] in [0,1] → normalised pixel values [3,S,S].</summary>
    public static Tensor Preprocess(Tensor image, ModelInfo info)
    {
        if (image.dim() != 3 || image.shape[0] != 3)
            throw new ArgumentException($"{info.Name}: expected an image [3,H,W], got [{string.Join(",", image.shape)}]");
        int s = info.InputSize ?? throw new ArgumentException($"{info.Name}: no input size");
        using var scope = NewDisposeScope();
        long h = image.shape[1], w = image.shape[2];
        // Shortest edge → s, the other edge scaled (truncated) as HF's get_resize_output_image_size does.
        long nh = h <= w ? s : (long)(s * (double)h / w);
        long nw = h <= w ? (long)(s * (double)w / h) : s;
        var x = image.unsqueeze(0).to_type(ScalarType.Float32); // [1, 3, H, W]
        if (nh != h || nw != w)
            x = nn.functional.interpolate(x, size: new[] { nh, nw }, mode: InterpolationMode.Bicubic, align_corners: false,
                antialias: nh < h || nw < w).clamp(0, 1); // [1, 3, nh, nw]
        long top = (nh - s) / 2, left = (nw - s) / 2;
        x = x[.., .., TensorIndex.Slice(top, top + s), TensorIndex.Slice(left, left + s)]; // [1, 3, s, s]
        var info1 = info with { InputSize = null };
        return ModelInput.Prepare(x, info1).squeeze(0).MoveToOuterDisposeScope(); // [3, s, s]
    }
}
