using static TorchSharp.torch;

namespace Tvp.Data;

/// <summary>The blur corruptions, with the CIFAR-10-C severity tables (Hendrycks and Dietterich 2019, make_cifar_c.py).</summary>
internal static class BlurCorruptions
{
    private static readonly (double Radius, double AliasBlur)[] Defocus = { (0.3, 0.4), (0.4, 0.5), (0.5, 0.6), (1, 0.2), (1.5, 0.1) };
    private static readonly (double Sigma, int MaxDelta, int Iterations)[] Glass = { (0.05, 1, 1), (0.25, 1, 1), (0.4, 1, 1), (0.25, 1, 2), (0.4, 1, 2) };
    private static readonly (double Radius, double Sigma)[] Motion = { (6, 1), (6, 1.5), (6, 2), (8, 2), (9, 2.5) };
    private static readonly int[] ZoomSteps = { 7, 12, 16, 21, 26 }; // numpy arange(1, 1.06|1.11|1.16|1.21|1.26, 0.01) lengths
    private static readonly double[] GaussianSigma = { 0.4, 0.6, 0.7, 0.8, 1.0 };

    /// <summary>Correlation with an anti-aliased disk (radius r on a 17×17 grid, smoothed by a 3×3 Gaussian), reflected border.</summary>
    public static Tensor DefocusBlur(Tensor x, int severity, SplitMix64 rng)
    {
        using var scope = NewDisposeScope();
        var (radius, aliasBlur) = Defocus[severity - 1];
        int half = radius <= 8 ? 8 : (int)Math.Ceiling(radius), size = 2 * half + 1;
        var disk = new float[size * size];
        for (int i = 0; i < size; i++)
            for (int j = 0; j < size; j++)
                disk[i * size + j] = (i - half) * (i - half) + (j - half) * (j - half) <= radius * radius ? 1 : 0;
        var aliased = tensor(disk, new long[] { 1, size, size });
        aliased /= aliased.sum();
        int smooth = radius <= 8 ? 1 : 2; // cv2.GaussianBlur ksize 3 or 5
        var g = tensor(ImageFilters.Gaussian1D(aliasBlur, smooth));
        var kernel = ImageFilters.Filter2D(ImageFilters.Filter2D(aliased, g.reshape(1, -1)), g.reshape(-1, 1)).squeeze(0); // [size, size]
        return ImageFilters.Filter2D(x, kernel).MoveToOuterDisposeScope();
    }

    /// <summary>Gaussian blur, then each pixel replaced by a random neighbour within ±max_delta (scanning from the
    /// bottom-right, as the reference does), then blurred again.</summary>
    public static Tensor GlassBlur(Tensor x, int severity, SplitMix64 rng)
    {
        using var scope = NewDisposeScope();
        var (sigma, delta, iterations) = Glass[severity - 1];
        int c = (int)x.shape[0], h = (int)x.shape[1], w = (int)x.shape[2];
        // The reference quantises to uint8 (truncating) between the two blurs.
        var pixels = ImageFilters.GaussianBlur(x, sigma).mul(255).clamp(0, 255).floor().contiguous().data<float>().ToArray();
        for (int it = 0; it < iterations; it++)
            for (int y = h - delta; y > delta; y--)
                for (int xx = w - delta; xx > delta; xx--)
                {
                    int dx = rng.NextInt(-delta, delta), dy = rng.NextInt(-delta, delta);
                    int y2 = y + dy, x2 = xx + dx;
                    if ((uint)y2 >= (uint)h || (uint)x2 >= (uint)w) continue;
                    // The reference's "swap" `x[h, w], x[h', w'] = x[h', w'], x[h, w]` acts on numpy views: it copies
                    // pixel (h', w') onto (h, w) and leaves (h', w') as it was. CIFAR-10-C was made that way; so is this.
                    for (int ch = 0; ch < c; ch++)
                        pixels[(ch * h + y) * w + xx] = pixels[(ch * h + y2) * w + x2];
                }
        var shuffled = tensor(pixels, x.shape) / 255f;
        return ImageFilters.GaussianBlur(shuffled, sigma).MoveToOuterDisposeScope();
    }

    /// <summary>ImageMagick motion blur (radius, sigma) at a random angle in [−45°, 45°).</summary>
    public static Tensor MotionBlur(Tensor x, int severity, SplitMix64 rng)
    {
        var (radius, sigma) = Motion[severity - 1];
        return ImageFilters.MotionBlur(x, radius, sigma, rng.Uniform(-45, 45));
    }

    /// <summary>The mean of the image and its centre zooms by 1.00, 1.01, … (deterministic).</summary>
    public static Tensor ZoomBlur(Tensor x, int severity, SplitMix64 rng)
    {
        using var scope = NewDisposeScope();
        int steps = ZoomSteps[severity - 1];
        var sum = x.clone();
        for (int i = 0; i < steps; i++) sum.add_(ImageFilters.ClippedZoom(x, 1 + 0.01 * i));
        return (sum / (steps + 1)).MoveToOuterDisposeScope();
    }

    /// <summary>Gaussian blur (skimage gaussian, 'nearest' border).</summary>
    public static Tensor GaussianBlur(Tensor x, int severity, SplitMix64 rng) => ImageFilters.GaussianBlur(x, GaussianSigma[severity - 1]);
}
