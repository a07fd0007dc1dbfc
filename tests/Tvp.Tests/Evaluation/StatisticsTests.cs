using Tvp.Evaluation.Statistics;

namespace Tvp.Tests.Evaluation;

public class StatisticsTests
{
    [Theory]
    [InlineData(1, 12.706205)]   // textbook table values of t(0.975, df)
    [InlineData(2, 4.302653)]
    [InlineData(4, 2.776445)]
    [InlineData(30, 2.042272)]
    public void T_quantile_matches_the_table(int df, double expected) =>
        Assert.Equal(expected, SeedStatistics.TQuantile(0.975, df), 1e-6);

    [Fact]
    public void Mean_std_and_t_interval_by_hand()
    {
        var v = new[] { 1.0, 2.0, 3.0 };                       // mean 2, sample std 1
        Assert.Equal(2, SeedStatistics.Mean(v), 12);
        Assert.Equal(1, SeedStatistics.Std(v), 12);
        var ci = SeedStatistics.TInterval95(v)!;
        double half = 4.302653 / Math.Sqrt(3);                 // 2.484138
        Assert.Equal(2 - half, ci[0], 5);
        Assert.Equal(2 + half, ci[1], 5);
        Assert.Equal(Math.Sqrt(32.0 / 7), SeedStatistics.Std(new[] { 2.0, 4, 4, 4, 5, 5, 7, 9 }), 12);
        Assert.Null(SeedStatistics.TInterval95(new[] { 0.5 }));
    }

    [Fact]
    public void Percentile_is_numpy_linear() =>
        Assert.Equal(1.75, PairedBootstrap.Percentile(new[] { 1.0, 2, 3, 4 }, 0.25), 12);

    private static bool[] Pattern(int n, Func<int, bool> f) => Enumerable.Range(0, n).Select(f).ToArray();

    [Fact]
    public void Bootstrap_equals_a_plain_loop_with_the_same_draws()
    {
        var a = new[] { Pattern(7, i => i % 2 == 0), Pattern(7, i => i < 5), Pattern(7, i => i != 3) };
        var b = new[] { Pattern(7, i => i % 3 == 0), Pattern(7, i => i > 2), Pattern(7, i => i == 1) };
        const int R = 200, seed = 5;
        var got = PairedBootstrap.Compare(a, b, R, seed);

        // Written differently: integer sums of a and b separately, resample means collected in a list and sorted by LINQ.
        var rng = new Random(seed);
        var means = new List<double>();
        for (int r = 0; r < R; r++)
        {
            double acc = 0;
            for (int k = 0; k < 3; k++)
            {
                int s = rng.Next(3);
                int sa = 0, sb = 0;
                for (int j = 0; j < 7; j++) { int i = rng.Next(7); sa += a[s][i] ? 1 : 0; sb += b[s][i] ? 1 : 0; }
                acc += (sa - sb) / 7.0;
            }
            means.Add(acc / 3);
        }
        var sorted = means.OrderBy(x => x).ToArray();
        double Q(double q) { double h = (R - 1) * q; int lo = (int)h; return sorted[lo] + (h - lo) * (sorted[Math.Min(lo + 1, R - 1)] - sorted[lo]); }
        double observed = Enumerable.Range(0, 3).Average(s => (a[s].Count(x => x) - b[s].Count(x => x)) / 7.0);
        double p = Math.Min(1, 2 * Math.Min((1.0 + means.Count(m => m <= 0)) / (R + 1), (1.0 + means.Count(m => m >= 0)) / (R + 1)));
        Assert.Equal(observed, got.Mean, 12);
        Assert.Equal(Q(0.025), got.Ci95[0], 12);
        Assert.Equal(Q(0.975), got.Ci95[1], 12);
        Assert.Equal(p, got.PValue, 12);
    }

    [Fact]
    public void A_clear_difference_excludes_zero()
    {
        // a right on 80 % of 200 images, b on 50 % (a superset): diff 0.3 on every seed.
        var a = Enumerable.Range(0, 3).Select(s => Pattern(200, i => (i + s) % 10 < 8)).ToArray();
        var b = Enumerable.Range(0, 3).Select(s => Pattern(200, i => (i + s) % 10 < 5)).ToArray();
        var d = PairedBootstrap.Compare(a, b, 2000);
        Assert.Equal(0.3, d.Mean, 12);
        Assert.True(d.Significant);
        Assert.True(d.Ci95[0] > 0.2 && d.Ci95[1] < 0.4, $"[{d.Ci95[0]}, {d.Ci95[1]}]");
        Assert.True(d.PValue < 0.01, $"p={d.PValue}");
    }

    [Fact]
    public void Swapped_errors_do_not_exclude_zero()
    {
        // Same accuracy, different images: a right on the even images, b on the odd ones.
        var a = Enumerable.Range(0, 3).Select(_ => Pattern(200, i => i % 2 == 0)).ToArray();
        var b = Enumerable.Range(0, 3).Select(_ => Pattern(200, i => i % 2 == 1)).ToArray();
        var d = PairedBootstrap.Compare(a, b, 2000);
        Assert.Equal(0, d.Mean, 12);
        Assert.False(d.Significant);
        Assert.True(d.Ci95[0] < 0 && d.Ci95[1] > 0);
        Assert.True(d.PValue > 0.5, $"p={d.PValue}");
    }

    [Fact]
    public void Mismatched_pairs_are_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => PairedBootstrap.Compare(new[] { new bool[3] }, new[] { new bool[4] }));
        Assert.Contains("seed #0", e.Message);
    }
}
