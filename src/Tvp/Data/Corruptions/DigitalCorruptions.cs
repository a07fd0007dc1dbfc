using StbImageWriteSharp;
using static TorchSharp.torch;

namespace Tvp.Data;

/// <summary>The digital corruptions, with the CIFAR-10-C severity tables (Hendrycks and Dietterich 2019, make_cifar_c.py).</summary>
internal static class DigitalCorruptions
{
    private static readonly double[] ContrastFactor = { 0.75, 0.5, 0.4, 0.3, 0.15 };
    private static readonly (double Scale, double Shift)[] SaturationChange = { (0.3, 0), (0.1, 0), (1.5, 0), (2, 0.1), (2.5, 0.2) };
    private static readonly double[] PixelateFactor = { 0.95, 0.9, 0.85, 0.75, 0.65 };
    private static readonly int[] JpegQuality = { 80, 65, 58, 50, 40 };

    /// <summary>(x − mean)·c + mean, per channel.</summary>
    public static Tensor Contrast(Tensor x, int severity, SplitMix64 rng)
    {
        using var scope = NewDisposeScope();
        var mean = x.mean(new long[] { 1, 2 }, keepdim: true);                                         // [3, 1, 1]
        return ((x - mean) * ContrastFactor[severity - 1] + mean).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// HSV saturation s → clip(s·a + b): with value V = max and min m fixed by hue, each channel moves along
    /// V − (V − x)·s'/s. Grey pixels (s = 0, hue 0 in skimage) become V·(1, 1 − s', 1 − s').
    /// </summary>
    public static Tensor Saturate(Tensor x, int severity, SplitMix64 rng)
    {
        using var scope = NewDisposeScope();
        var (a, b) = SaturationChange[severity - 1];
        var v = x.amax(new long[] { 0 }, keepdim: true);                                              // [1, H, W]
        var delta = v - x.amin(new long[] { 0 }, keepdim: true);
        var s = where(delta > 0, delta / v.clamp_min(1e-12), zeros_like(v));
        var s2 = (s * a + b).clamp(0, 1);
        var coloured = v - (v - x) * (s2 / s.clamp_min(1e-12));
        var hueZero = tensor(new float[] { 0, 1, 1 }).reshape(3, 1, 1);                                // [3, 1, 1]
        var grey = v - v * s2 * hueZero;
        return where(delta > 0, coloured, grey).MoveToOuterDisposeScope();
    }

    /// <summary>Pillow BOX downscale to ⌊size·c⌋ and BOX upscale back.</summary>
    public static Tensor Pixelate(Tensor x, int severity, SplitMix64 rng)
    {
        using var scope = NewDisposeScope();
        double c = PixelateFactor[severity - 1];
        int h = (int)x.shape[1], w = (int)x.shape[2];
        int sh = Math.Max(1, (int)(h * c)), sw = Math.Max(1, (int)(w * c));
        var rows = ImageFilters.BoxResizeMatrix(sh, h).matmul(ImageFilters.BoxResizeMatrix(h, sh));     // [H, H]
        var cols = ImageFilters.BoxResizeMatrix(sw, w).matmul(ImageFilters.BoxResizeMatrix(w, sw));     // [W, W]
        return rows.matmul(x).matmul(cols.t()).MoveToOuterDisposeScope();                               // [3, H, W]
    }

    /// <summary>A JPEG round trip (stb_image_write at quality q, 4:2:0 below q 90; decoded by StbImageSharp).</summary>
    public static Tensor Jpeg(Tensor x, int severity, SplitMix64 rng)
    {
        int h = (int)x.shape[1], w = (int)x.shape[2];
        byte[] rgb;
        using (var scope = NewDisposeScope())
            rgb = x.clamp(0, 1).mul(255).round().to_type(ScalarType.Byte).permute(1, 2, 0).contiguous().data<byte>().ToArray(); // [H, W, 3]
        using var stream = new MemoryStream();
        new ImageWriter().WriteJpg(rgb, w, h, ColorComponents.RedGreenBlue, stream, JpegQuality[severity - 1]);
        var (decoded, dw, dh) = ImageDecoder.Decode(stream.ToArray(), "jpeg_compression");
        return ImageDecoder.ToTensor(decoded, dw, dh);
    }
}
