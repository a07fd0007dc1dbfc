using static TorchSharp.torch;

namespace Tvp.Data;

/// <summary>The weather corruptions (snow, fog, brightness), with the CIFAR-10-C severity tables (make_cifar_c.py).
/// Frost needs the benchmark's frost photographs and is not provided.</summary>
internal static class WeatherCorruptions
{
    private static readonly (double Loc, double Scale, double Zoom, double Threshold, double BlurRadius, double BlurSigma, double Keep)[] Snow =
    {
        (0.1, 0.2, 1, 0.6, 8, 3, 0.95), (0.1, 0.2, 1, 0.5, 10, 4, 0.9), (0.15, 0.3, 1.75, 0.55, 10, 4, 0.9),
        (0.25, 0.3, 2.25, 0.6, 12, 6, 0.85), (0.3, 0.3, 1.25, 0.65, 14, 12, 0.8),
    };
    private static readonly (double Amount, double WibbleDecay)[] Fog = { (0.2, 3), (0.5, 3), (0.75, 2.5), (1, 2), (1.5, 1.75) };
    private static readonly double[] BrightnessShift = { 0.05, 0.1, 0.15, 0.2, 0.3 };

    /// <summary>A thresholded, zoomed, motion-blurred noise layer added twice (once rotated 180°) to a whitened image.</summary>
    public static Tensor SnowFall(Tensor x, int severity, SplitMix64 rng)
    {
        using var scope = NewDisposeScope();
        var p = Snow[severity - 1];
        long h = x.shape[1], w = x.shape[2];
        Tensor layer;
        using (var g = new Generator(rng.NextSeed()))
            layer = randn(new[] { 1L, h, w }, generator: g) * p.Scale + p.Loc;                       // [1, H, W]
        layer = ImageFilters.ClippedZoom(layer, p.Zoom);
        layer = where(layer < p.Threshold, zeros_like(layer), layer);
        layer = layer.clamp(0, 1).mul(255).floor().div(255);                                          // the reference's uint8 round trip
        layer = ImageFilters.MotionBlur(layer, p.BlurRadius, p.BlurSigma, rng.Uniform(-135, -45));
        var grey = (x[0] * 0.299 + x[1] * 0.587 + x[2] * 0.114).unsqueeze(0);                         // [1, H, W]
        var whitened = x * p.Keep + maximum(x, grey * 1.5 + 0.5) * (1 - p.Keep);
        return (whitened + layer + layer.flip(1, 2)).MoveToOuterDisposeScope();
    }

    /// <summary>A plasma-fractal haze added, then rescaled to keep the image's maximum.</summary>
    public static Tensor FogHaze(Tensor x, int severity, SplitMix64 rng)
    {
        using var scope = NewDisposeScope();
        var (amount, decay) = Fog[severity - 1];
        int h = (int)x.shape[1], w = (int)x.shape[2];
        int mapSize = 2;
        while (mapSize < Math.Max(h, w)) mapSize *= 2;
        var map = PlasmaFractal.Generate(mapSize, decay, rng);
        var haze = new float[h * w];
        for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++)
                haze[i * w + j] = (float)map[i, j];
        double maxVal = x.max().item<float>();
        var hazy = x + tensor(haze, new long[] { 1, h, w }) * amount;                                  // [3, H, W]
        return (hazy * (maxVal / (maxVal + amount))).MoveToOuterDisposeScope();
    }

    /// <summary>HSV value + c (clipped), hue and saturation kept: every channel scales by V'/V.</summary>
    public static Tensor Brightness(Tensor x, int severity, SplitMix64 rng)
    {
        using var scope = NewDisposeScope();
        var v = x.amax(new long[] { 0 }, keepdim: true);                                              // [1, H, W]
        var v2 = (v + BrightnessShift[severity - 1]).clamp(0, 1);
        var scaled = x * (v2 / v.clamp_min(1e-12));
        return where(v > 0, scaled, v2.expand_as(x)).MoveToOuterDisposeScope();
    }
}
