using Tvp.IO.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Tvp.Models.Multimodal;

/// <summary>
/// A checkpoint's image preprocessing from its <c>preprocessor_config.json</c> (HF <c>CLIPImageProcessor</c> /
/// <c>BlipImageProcessor</c> fields): resize (the shortest edge to <c>size.shortest_edge</c>, or to
/// <c>size.height</c>×<c>size.width</c>), centre crop to <c>crop_size</c> when <c>do_center_crop</c>, rescale to
/// [0,1], normalise with <c>image_mean</c>/<c>image_std</c>. Used for plain images (<c>--image</c>); prompted
/// canvases go through <see cref="ModelInput.Prepare"/> with <see cref="Info"/> (a differentiable square resize).
/// The resize runs on float pixels with antialiasing rather than on PIL's 8-bit image, so values differ from HF's
/// by up to about one grey level.
/// </summary>
/// <param name="ShortestEdge">Resize target of the shortest edge, or null.</param>
/// <param name="Height">Resize height when no shortest edge is given.</param>
/// <param name="Width">Resize width when no shortest edge is given.</param>
/// <param name="CropSize">Centre crop (square), or null for none.</param>
/// <param name="Mean">Per-channel mean.</param>
/// <param name="Std">Per-channel standard deviation.</param>
/// <param name="Interpolation">"bicubic" (PIL resample 3, the default) or "bilinear" (2).</param>
internal sealed record ImagePreprocessor(int? ShortestEdge, int Height, int Width, int? CropSize, float[] Mean, float[] Std, string Interpolation = "bicubic")
{
    /// <summary>The square size a model sees.</summary>
    public int OutputSize => CropSize ?? (Height == Width ? Height : throw new InvalidDataException($"preprocessor: non-square size {Height}x{Width} is not supported"));

    /// <summary>The preprocessing for prompted canvases.</summary>
    public ModelInfo Info(string name, string family) => new(name, family, OutputSize, Mean, Std, Interpolation);

    /// <summary>
    /// Reads <c>preprocessor_config.json</c> in <paramref name="folder"/>; without one: a square resize to
    /// <paramref name="imageSize"/> with the given mean/std (CLIP's for the paper's models).
    /// </summary>
    public static ImagePreprocessor FromFolder(string folder, int imageSize, float[] mean, float[] std)
    {
        var path = Path.Combine(folder, "preprocessor_config.json");
        if (!File.Exists(path)) return new ImagePreprocessor(null, imageSize, imageSize, null, mean, std);
        var r = PreprocessorConfigJson.Read(path);
        int? shortest = null;
        int h = imageSize, w = imageSize;
        switch (r.Size)
        {
            case null: break;
            case { Square: int n }: shortest = n; break;
            case { ShortestEdge: int se }: shortest = se; break;
            case { Height: int sh, Width: int sw }: (h, w) = (sh, sw); break;
            default: throw new InvalidDataException($"{path}: size needs shortest_edge or height and width");
        }
        if (r.DoResize == false) shortest = null;
        int? crop = null;
        if (r.DoCenterCrop == true && r.CropSize is { } cs)
            crop = cs.Square ?? cs.Height ?? throw new InvalidDataException($"{path}: crop_size needs height and width");
        if (shortest is not null && crop is null) crop = shortest;
        bool doNormalize = r.DoNormalize != false;
        var m = doNormalize ? Triple(r.ImageMean, "image_mean", path) ?? mean : new[] { 0f, 0f, 0f };
        var sd = doNormalize ? Triple(r.ImageStd, "image_std", path) ?? std : new[] { 1f, 1f, 1f };
        return new ImagePreprocessor(shortest, h, w, crop, m, sd, (r.Resample ?? 3) == 2 ? "bilinear" : "bicubic");
    }

    /// <summary>
    /// The preprocessing of a checkpoint whose vision encoder takes <paramref name="encoderSize"/>-px images (CLIP
    /// mean/std without a preprocessor_config.json); a config that gives another size is an error naming the folder.
    /// </summary>
    public static ImagePreprocessor ForVisionEncoder(string folder, int encoderSize)
    {
        var pre = FromFolder(folder, encoderSize, ModelInfo.ClipMean, ModelInfo.ClipStd);
        if (pre.OutputSize != encoderSize)
            throw new InvalidDataException($"{folder}: preprocessor_config.json gives {pre.OutputSize}-px images but the vision encoder takes {encoderSize}");
        return pre;
    }

    private static float[]? Triple(IReadOnlyList<double>? v, string name, string path) =>
        v is null ? null
        : v.Count != 3 ? throw new InvalidDataException($"{path}: {name} must be a list of 3 numbers")
        : v.Select(x => (float)x).ToArray();

    /// <summary>A decoded image [3,H,W] in [0,1] → normalised pixel values [1,3,S,S].</summary>
    public Tensor Preprocess(Tensor image)
    {
        if (image.dim() != 3 || image.shape[0] != 3)
            throw new ArgumentException($"preprocessor: expected an image [3,H,W], got [{string.Join(",", image.shape)}]");
        using var scope = NewDisposeScope();
        long h = image.shape[1], w = image.shape[2], nh, nw;
        if (ShortestEdge is int s)
        {
            // Shortest edge → s, the other edge scaled (truncated) as HF's get_resize_output_image_size does.
            nh = h <= w ? s : (long)(s * (double)h / w);
            nw = h <= w ? (long)(s * (double)w / h) : s;
        }
        else (nh, nw) = (Height, Width);
        var x = image.unsqueeze(0).to_type(ScalarType.Float32);                              // [1, 3, H, W]
        if (nh != h || nw != w)
            x = nn.functional.interpolate(x, size: new[] { nh, nw },
                mode: Interpolation == "bilinear" ? InterpolationMode.Bilinear : InterpolationMode.Bicubic,
                align_corners: false, antialias: nh < h || nw < w).clamp(0, 1);              // [1, 3, nh, nw]
        if (CropSize is int c)
        {
            if (nh < c || nw < c) throw new ArgumentException($"preprocessor: resized image {nh}x{nw} is smaller than the crop {c}");
            long top = (nh - c) / 2, left = (nw - c) / 2;
            x = x[.., .., TensorIndex.Slice(top, top + c), TensorIndex.Slice(left, left + c)]; // [1, 3, c, c]
        }
        using var mean = tensor(Mean).view(1, 3, 1, 1);
        using var std = tensor(Std).view(1, 3, 1, 1);
        return ((x - mean) / std).MoveToOuterDisposeScope();
    }
}
