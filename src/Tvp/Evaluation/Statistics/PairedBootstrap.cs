namespace Tvp.Evaluation.Statistics;

/// <summary>
/// Paired bootstrap over seeds × test images of the difference between two prompt methods on one model.
/// Because both methods are scored on the same test images of the same seed, the difference of their gains over
/// no prompt equals the difference of their top-1, image by image: d = correct_a − correct_b ∈ {−1, 0, 1}.
/// One resample draws S seeds with replacement out of the S paired seeds, then for each drawn seed its n test
/// images with replacement, and takes the mean over drawn seeds of the mean of d over drawn images (two-level
/// bootstrap: both training noise and test-set noise enter the interval). Draw order, with one
/// <see cref="Random"/> seeded by <c>seed</c>: for each resample, for each of S draws, <c>Next(S)</c> then n
/// times <c>Next(n)</c>. The interval is the 2.5 / 97.5 % percentile interval of the resampled means; the
/// two-sided p-value is min(1, 2 · min((1 + #{d* ≤ 0}) / (R + 1), (1 + #{d* ≥ 0}) / (R + 1))).
/// </summary>
public static class PairedBootstrap
{
    /// <summary>Default number of resamples.</summary>
    public const int DefaultResamples = 10_000;

    /// <summary>Default seed of the resampling RNG (fixed, so the same outcomes give the same interval).</summary>
    public const int DefaultSeed = 20240617;

    /// <summary>Compares a and b: <paramref name="a"/>[s][i] and <paramref name="b"/>[s][i] are the top-1 correctness of image i under seed s.</summary>
    public static PairedDifference Compare(IReadOnlyList<bool[]> a, IReadOnlyList<bool[]> b, int resamples = DefaultResamples, int seed = DefaultSeed)
    {
        if (a.Count != b.Count) throw new ArgumentException($"paired bootstrap: {a.Count} seeds for a but {b.Count} for b");
        if (a.Count == 0) throw new ArgumentException("paired bootstrap: no seeds");
        if (resamples < 1) throw new ArgumentOutOfRangeException(nameof(resamples), resamples, "resamples must be >= 1");
        int seeds = a.Count;
        var d = new sbyte[seeds][];
        double observed = 0;
        for (int s = 0; s < seeds; s++)
        {
            if (a[s].Length != b[s].Length) throw new ArgumentException($"paired bootstrap: seed #{s} has {a[s].Length} images for a but {b[s].Length} for b");
            if (a[s].Length == 0) throw new ArgumentException($"paired bootstrap: seed #{s} has no test images");
            d[s] = new sbyte[a[s].Length];
            long sum = 0;
            for (int i = 0; i < d[s].Length; i++) { d[s][i] = (sbyte)((a[s][i] ? 1 : 0) - (b[s][i] ? 1 : 0)); sum += d[s][i]; }
            observed += (double)sum / d[s].Length;
        }
        observed /= seeds;

        var rng = new Random(seed);
        var stats = new double[resamples];
        for (int r = 0; r < resamples; r++)
        {
            double total = 0;
            for (int k = 0; k < seeds; k++)
            {
                var ds = d[rng.Next(seeds)];
                int n = ds.Length;
                long sum = 0;
                for (int j = 0; j < n; j++) sum += ds[rng.Next(n)];
                total += (double)sum / n;
            }
            stats[r] = total / seeds;
        }
        Array.Sort(stats);
        int below = stats.Count(v => v <= 0), above = stats.Count(v => v >= 0);
        double p = Math.Min(1, 2 * Math.Min((1.0 + below) / (resamples + 1), (1.0 + above) / (resamples + 1)));
        return new PairedDifference(observed, new[] { Percentile(stats, 0.025), Percentile(stats, 0.975) }, p, resamples, seeds);
    }

    /// <summary>Percentile of sorted values with linear interpolation between order statistics (type 7, numpy's default).</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double q)
    {
        if (sorted.Count == 0) throw new ArgumentException("percentile of no values");
        double h = (sorted.Count - 1) * q;
        int lo = (int)Math.Floor(h), hi = Math.Min(lo + 1, sorted.Count - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }
}
