using MathNet.Numerics.Distributions;

namespace Tvp.Evaluation.Statistics;

/// <summary>
/// Summaries of one quantity measured once per seed: mean, sample standard deviation (n − 1) and the 95 %
/// Student t-interval over seeds, mean ± t(0.975, n − 1) · s / √n. The t-interval treats seeds as independent
/// draws of the whole training run; it says nothing about test-image sampling (the paired bootstrap does).
/// </summary>
public static class SeedStatistics
{
    /// <summary>Arithmetic mean (0 for no values).</summary>
    public static double Mean(IReadOnlyList<double> values) => values.Count == 0 ? 0 : values.Sum() / values.Count;

    /// <summary>Sample standard deviation with n − 1 in the denominator (0 for fewer than two values).</summary>
    public static double Std(IReadOnlyList<double> values)
    {
        if (values.Count < 2) return 0;
        double m = Mean(values);
        return Math.Sqrt(values.Sum(v => (v - m) * (v - m)) / (values.Count - 1));
    }

    /// <summary>The two-sided Student t quantile t(1 − α/2, df) (MathNet.Numerics <c>StudentT.InvCDF</c>).</summary>
    public static double TQuantile(double probability, int degreesOfFreedom)
    {
        if (degreesOfFreedom < 1) throw new ArgumentOutOfRangeException(nameof(degreesOfFreedom), degreesOfFreedom, "degrees of freedom must be >= 1");
        return StudentT.InvCDF(0, 1, degreesOfFreedom, probability);
    }

    /// <summary>The 95 % t-interval over seeds [lo, hi]; null for fewer than two seeds (no interval exists).</summary>
    public static double[]? TInterval95(IReadOnlyList<double> values)
    {
        if (values.Count < 2) return null;
        double half = TQuantile(0.975, values.Count - 1) * Std(values) / Math.Sqrt(values.Count);
        double m = Mean(values);
        return new[] { m - half, m + half };
    }
}
