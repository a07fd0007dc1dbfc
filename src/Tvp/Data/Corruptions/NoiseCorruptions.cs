using static TorchSharp.torch;

namespace Tvp.Data;

/// <summary>The noise corruptions, with the CIFAR-10-C severity tables (Hendrycks and Dietterich 2019, make_cifar_c.py).</summary>
internal static class NoiseCorruptions
{
    private static readonly double[] GaussianSigma = { 0.04, 0.06, 0.08, 0.09, 0.10 };
    private static readonly double[] ShotPhotons = { 500, 250, 100, 75, 50 };
    private static readonly double[] ImpulseAmount = { 0.01, 0.02, 0.03, 0.05, 0.07 };
    private static readonly double[] SpeckleSigma = { 0.06, 0.10, 0.12, 0.16, 0.20 };

    /// <summary>x + N(0, σ²) per pixel and channel.</summary>
    public static Tensor Gaussian(Tensor x, int severity, SplitMix64 rng)
    {
        using var g = new Generator(rng.NextSeed());
        return x + randn(x.shape, generator: g) * GaussianSigma[severity - 1];
    }

    /// <summary>Poisson(x·λ)/λ: photon (shot) noise with λ photons at full intensity.</summary>
    public static Tensor Shot(Tensor x, int severity, SplitMix64 rng)
    {
        using var g = new Generator(rng.NextSeed());
        double lambda = ShotPhotons[severity - 1];
        return poisson(x * lambda, g) / lambda;
    }

    /// <summary>Salt and pepper: a fraction <c>amount</c> of the values (per channel) set to 0 or 1 with equal odds (skimage random_noise 's&amp;p').</summary>
    public static Tensor Impulse(Tensor x, int severity, SplitMix64 rng)
    {
        using var g = new Generator(rng.NextSeed());
        using var flip = rand(x.shape, generator: g);
        using var salt = rand(x.shape, generator: g);
        using var noise = (salt < 0.5).to_type(ScalarType.Float32);
        return where(flip < ImpulseAmount[severity - 1], noise, x);
    }

    /// <summary>x + x·N(0, σ²): multiplicative (speckle) noise.</summary>
    public static Tensor Speckle(Tensor x, int severity, SplitMix64 rng)
    {
        using var g = new Generator(rng.NextSeed());
        return x + x * randn(x.shape, generator: g) * SpeckleSigma[severity - 1];
    }
}
