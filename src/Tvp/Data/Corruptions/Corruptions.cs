using static TorchSharp.torch;

namespace Tvp.Data;

/// <summary>
/// Common corruptions for robustness studies (Hendrycks and Dietterich, "Benchmarking Neural Network Robustness to
/// Common Corruptions and Perturbations", ICLR 2019), with the CIFAR-10-C parameter tables, severities 1–5.
/// Images are [3,H,W] float32 in [0,1]; results keep the shape and device and are clamped to [0,1]. Randomness comes
/// only from the seed (SplitMix64, and torch CPU generators seeded from it): the same (image, name, severity, seed)
/// gives the same result. The tables were tuned for 32×32 images; larger images get the same parameters.
/// Thirteen of the benchmark's fifteen are provided (not frost, which needs the benchmark's frost photographs, nor
/// elastic_transform), plus three of its extra four (speckle_noise, gaussian_blur, saturate).
/// Differences from the reference code: motion blur reimplements ImageMagick's kernel, JPEG uses stb_image_write
/// rather than libjpeg, intermediate 8-bit rounding is kept only where it shapes the result (glass blur, snow layer),
/// and random numbers differ from numpy's.
/// </summary>
public static class Corruptions
{
    private delegate Tensor Corruption(Tensor image, int severity, SplitMix64 rng);

    private static readonly (string Name, string Kind, Corruption Apply)[] Table =
    {
        ("gaussian_noise", "noise", NoiseCorruptions.Gaussian),
        ("shot_noise", "noise", NoiseCorruptions.Shot),
        ("impulse_noise", "noise", NoiseCorruptions.Impulse),
        ("defocus_blur", "blur", BlurCorruptions.DefocusBlur),
        ("glass_blur", "blur", BlurCorruptions.GlassBlur),
        ("motion_blur", "blur", BlurCorruptions.MotionBlur),
        ("zoom_blur", "blur", BlurCorruptions.ZoomBlur),
        ("snow", "weather", WeatherCorruptions.SnowFall),
        ("fog", "weather", WeatherCorruptions.FogHaze),
        ("brightness", "weather", WeatherCorruptions.Brightness),
        ("contrast", "digital", DigitalCorruptions.Contrast),
        ("pixelate", "digital", DigitalCorruptions.Pixelate),
        ("jpeg_compression", "digital", DigitalCorruptions.Jpeg),
        ("speckle_noise", "noise", NoiseCorruptions.Speckle),
        ("gaussian_blur", "blur", BlurCorruptions.GaussianBlur),
        ("saturate", "digital", DigitalCorruptions.Saturate),
    };

    /// <summary>The corruption names (the benchmark's file names), benchmark order first, then the extras.</summary>
    public static IReadOnlyList<string> Names { get; } = Table.Select(t => t.Name).ToArray();

    /// <summary>The highest severity.</summary>
    public const int MaxSeverity = 5;

    /// <summary>The benchmark's category of a corruption: "noise", "blur", "weather" or "digital".</summary>
    public static string KindOf(string name) => Find(name).Kind;

    /// <summary>Corrupts one image: [3,H,W] in [0,1] → [3,H,W] in [0,1] (a new tensor, on the image's device).</summary>
    /// <exception cref="ArgumentException">Unknown name (the message lists the known ones) or an image that is not [3,H,W].</exception>
    /// <exception cref="ArgumentOutOfRangeException">Severity outside 1–5.</exception>
    public static Tensor Apply(Tensor image, string name, int severity, long seed)
    {
        ArgumentNullException.ThrowIfNull(image);
        var corruption = Find(name);
        CheckSeverity(severity);
        if (image.dim() != 3 || image.shape[0] != 3)
            throw new ArgumentException($"corruption '{name}' expects an image [3,H,W], got [{string.Join(",", image.shape)}]", nameof(image));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = image.detach().to(CPU).to_type(ScalarType.Float32).contiguous();
        var rng = new SplitMix64(SplitMix64.Mix((ulong)seed));
        var y = corruption.Apply(x, severity, rng).clamp(0, 1).to(image.device).contiguous();
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>The seed of image <paramref name="index"/> under a dataset-level <paramref name="seed"/> (independent per image).</summary>
    public static long ImageSeed(long seed, int index) => (long)(SplitMix64.Mix(SplitMix64.Mix((ulong)seed) ^ (ulong)index) >> 1);

    /// <summary>Throws unless <paramref name="name"/> is a known corruption.</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the known ones.</exception>
    public static void CheckName(string name) => Find(name);

    /// <summary>Throws unless 1 ≤ <paramref name="severity"/> ≤ 5.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Severity outside 1–5.</exception>
    public static void CheckSeverity(int severity)
    {
        if (severity is < 1 or > MaxSeverity)
            throw new ArgumentOutOfRangeException(nameof(severity), severity, $"corruption severity must be 1 to {MaxSeverity}");
    }

    private static (string Name, string Kind, Corruption Apply) Find(string name)
    {
        foreach (var t in Table)
            if (t.Name == name) return t;
        throw new ArgumentException($"unknown corruption '{name}'; known: {string.Join(", ", Names)}", nameof(name));
    }
}
