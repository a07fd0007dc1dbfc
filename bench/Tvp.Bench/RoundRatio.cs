namespace Tvp.Bench;

/// <summary>
/// A ratio of two timings taken in the same round, summarised over rounds: the median and the quartiles. On a shared VM
/// whose speed drifts by up to 1.5× within minutes, only ratios of neighbouring calls are stable; medians of
/// separately timed blocks are not.
/// </summary>
public sealed record RoundRatio(double Median, double LowerQuartile, double UpperQuartile, int Rounds)
{
    /// <summary>Median and quartiles of the per-round values (nearest rank).</summary>
    public static RoundRatio Of(IEnumerable<double> perRound)
    {
        var v = perRound.OrderBy(x => x).ToArray();
        if (v.Length == 0) throw new ArgumentException("no rounds", nameof(perRound));
        double At(double q) => v[(int)Math.Round(q * (v.Length - 1))];
        return new RoundRatio(At(0.5), At(0.25), At(0.75), v.Length);
    }

    /// <summary>"1.23 [1.20, 1.27]".</summary>
    public string Format() => FormattableString.Invariant($"{Median:F2} [{LowerQuartile:F2}, {UpperQuartile:F2}]");
}
