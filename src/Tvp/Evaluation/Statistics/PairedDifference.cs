using Tvp.Data;

namespace Tvp.Evaluation.Statistics;

/// <summary>The difference a − b of two prompt methods' top-1 on the same model, seeds and test images.</summary>
/// <param name="Mean">Observed difference: mean over seeds of (top-1 of a − top-1 of b) on that seed's test images.</param>
/// <param name="Ci95">95 % percentile interval of the bootstrap distribution [lo, hi].</param>
/// <param name="PValue">Two-sided bootstrap p-value of "no difference".</param>
/// <param name="Resamples">Number of bootstrap resamples.</param>
/// <param name="Seeds">Number of seeds paired.</param>
public sealed record PairedDifference(double Mean, double[] Ci95, double PValue, int Resamples, int Seeds)
{
    /// <summary>True when the 95 % interval excludes 0 (the only case in which a claim is printed).</summary>
    public bool Significant => Ci95[0] > 0 || Ci95[1] < 0;
}
