using System.Text.Json;
using Tvp.Experiments.Study;

namespace Tvp.Tests.Experiments.Study;

public class StudyResultsTests
{
    private static bool[] FirstK(int n, int k) => Enumerable.Range(0, n).Select(i => i < k).ToArray();

    private static CellOutcome Outcome(string model, string role, string prompt, double fca, int seed, int correct, int none = 20, int n = 100) =>
        new(model, role, "src", prompt, fca, 0, "connector", 0, "contrast", 4, "identity", seed, FirstK(n, correct), FirstK(n, none));

    private static List<CellOutcome> Outcomes() => new()
    {
        Outcome("src", "source", "vp", 0, 1, 50), Outcome("src", "source", "vp", 0, 2, 60), Outcome("src", "source", "vp", 0, 3, 70),
        Outcome("src", "source", "fca", 0.5, 1, 52), Outcome("src", "source", "fca", 0.5, 2, 61), Outcome("src", "source", "fca", 0.5, 3, 69),
        Outcome("t1", "target", "vp", 0, 1, 30, 25), Outcome("t1", "target", "vp", 0, 2, 30, 25), Outcome("t1", "target", "vp", 0, 3, 30, 25),
        Outcome("t1", "target", "fca", 0.5, 1, 60, 25), Outcome("t1", "target", "fca", 0.5, 2, 62, 25), Outcome("t1", "target", "fca", 0.5, 3, 64, 25),
    };

    [Fact]
    public void Cells_hold_means_gains_and_t_intervals()
    {
        var r = StudyResults.Build("t", Outcomes(), resamples: 500);
        Assert.Equal(6, r.Cells.Count);                       // 2 models × (none, vp, fca)
        var vp = r.Cells.Single(c => c.Model == "src" && c.Prompt == "vp");
        Assert.Equal(new[] { 1, 2, 3 }, vp.Seeds);
        Assert.Equal(0.6, vp.Top1Mean, 12);
        Assert.Equal(0.1, vp.Top1Std, 12);
        Assert.Equal(0.4, vp.GainMean, 12);                   // none = 20 %
        Assert.Equal(0.6 - 4.302653 * 0.1 / Math.Sqrt(3), vp.Ci95![0], 5);
        var none = r.Cells.Single(c => c.Model == "t1" && c.Prompt == "none");
        Assert.Equal(0.25, none.Top1Mean, 12);
        Assert.Equal(0, none.GainMean, 12);
        Assert.Equal(100, none.NTest);
    }

    [Fact]
    public void Claims_only_where_the_interval_excludes_zero()
    {
        var r = StudyResults.Build("t", Outcomes(), resamples: 500);
        Assert.Equal(2, r.Comparisons.Count);
        var target = r.Comparisons.Single(c => c.Model == "t1");
        Assert.Equal(("fca", "vp"), (target.A, target.B));
        Assert.Equal(0.32, target.DiffMean, 12);
        Assert.StartsWith("fca > vp on target t1 with src's prompts", target.Claim);
        // Listed the other way round, vp is a and loses: the claim names fca first with a positive lead.
        var swapped = StudyResults.Build("t", Outcomes().OrderBy(o => o.Prompt == "vp" ? 1 : 0).ToList(), resamples: 500);
        var back = swapped.Comparisons.Single(c => c.Model == "t1");
        Assert.Equal(("vp", "fca", -0.32), (back.A, back.B, Math.Round(back.DiffMean, 12)));
        Assert.StartsWith("fca > vp on target t1 with src's prompts (contrast 4): diff +32.00 [+", back.Claim);
        var source = r.Comparisons.Single(c => c.Model == "src");
        Assert.Equal(0.00666666666, source.DiffMean, 8);
        Assert.Contains("no significant difference", source.Claim);
    }

    private static CellOutcome FromSource(string source, string model, string role, int seed, int correct) =>
        new(model, role, source, "vp", 0, 0, "connector", 0, null, 0, "frequency", seed, FirstK(100, correct), FirstK(100, 20));

    [Fact]
    public void An_ensemble_prompt_is_compared_with_each_single_source_prompt_on_the_shared_targets()
    {
        var list = new List<CellOutcome>();
        foreach (var seed in new[] { 1, 2, 3 })
        {
            list.Add(FromSource("a", "a", "source", seed, 70));
            list.Add(FromSource("a", "t", "target", seed, 30 + seed));   // single source a: ~32 % on t
            list.Add(FromSource("b", "b", "source", seed, 70));
            list.Add(FromSource("b", "t", "target", seed, 60 + seed));   // single source b: ~62 % on t
            list.Add(FromSource("a+b", "a", "source", seed, 65));
            list.Add(FromSource("a+b", "b", "source", seed, 65));
            list.Add(FromSource("a+b", "t", "target", seed, 60 + seed)); // ensemble: as good as b, far better than a
        }
        var r = StudyResults.Build("e", list, 300);
        var vsSingle = r.Comparisons.Where(c => c.SourceB is not null).ToArray();
        Assert.Equal(2, vsSingle.Length);                             // t only: a and b are not targets of the ensemble
        Assert.All(vsSingle, c => Assert.Equal(("t", "a+b", "vp", "vp", 3), (c.Model, c.Source, c.A, c.B, c.Seeds)));
        var vsA = vsSingle.Single(c => c.SourceB == "a");
        Assert.Equal(0.30, vsA.DiffMean, 12);
        Assert.True(vsA.DiffCi95[0] > 0);
        Assert.StartsWith("vp (a+b) > vp (a) on target t: diff +30.00", vsA.Claim);
        var vsB = vsSingle.Single(c => c.SourceB == "b");
        Assert.Equal(0, vsB.DiffMean, 12);
        Assert.Contains("no significant difference", vsB.Claim);
        Assert.Contains(vsA.Claim, r.Claims());
        Assert.All(r.Comparisons.Where(c => c.SourceB is null), c => Assert.NotEqual(c.A, c.B));
        Assert.Contains("\"source_b\": \"a\"", r.ToJson());
    }

    [Fact]
    public void Order_of_outcomes_does_not_change_the_numbers()
    {
        var list = Outcomes();
        var shuffled = list.OrderBy(o => o.Seed).ThenByDescending(o => o.Model).ToList();
        var a = StudyResults.Build("t", list, 300);
        var b = StudyResults.Build("t", shuffled, 300);
        foreach (var c in a.Cells)
            Assert.Equal(c.Top1, b.Cells.Single(x => x.Model == c.Model && x.Prompt == c.Prompt).Top1);
        foreach (var c in a.Comparisons)
            Assert.Equal(c.DiffCi95, b.Comparisons.Single(x => x.Model == c.Model).DiffCi95);
    }

    [Fact]
    public void Json_has_the_documented_schema_and_round_trips()
    {
        var r = StudyResults.Build("t", Outcomes(), 300);
        using var doc = JsonDocument.Parse(r.ToJson());
        Assert.Equal("t", doc.RootElement.GetProperty("study").GetString());
        var cell = doc.RootElement.GetProperty("cells")[0];
        foreach (var key in new[] { "model", "role", "prompt", "lambda_fca", "lambda_tse", "fca_features", "shots", "corruption", "severity", "seeds", "top1", "top1_mean", "top1_std", "ci95", "gain_mean", "gain_ci95", "n_test" })
            Assert.True(cell.TryGetProperty(key, out _), key);
        var cmp = doc.RootElement.GetProperty("comparisons")[0];
        foreach (var key in new[] { "model", "a", "b", "diff_mean", "diff_ci95", "p_value" })
            Assert.True(cmp.TryGetProperty(key, out _), key);
        Assert.Equal(r.ToJson(), StudyResults.FromJson(r.ToJson()).ToJson());
    }

    [Fact]
    public void Selection_uses_validation_only()
    {
        // fca has the better test gains on t1, but vp the better validation top-1 on the source: vp is chosen.
        var list = Outcomes().Select(o => o with { ValidationTop1 = o.Prompt == "vp" ? 0.7 : 0.6 }).ToList();
        var r = StudyResults.Build("t", list, 300);
        var s = Assert.Single(r.Selected);
        Assert.Equal("vp", s.Prompt);
        Assert.Equal(0.7, s.ValidationTop1Mean, 12);
        Assert.Equal(0.05, s.TargetGainMean!.Value, 12);
        Assert.Empty(StudyResults.Build("t", Outcomes(), 300).Selected);     // no validation recorded: nothing chosen
    }

    [Fact]
    public void The_same_outcome_twice_is_refused()
    {
        var list = Outcomes();
        list.Add(list[0]);
        var e = Assert.Throws<InvalidDataException>(() => StudyResults.Build("t", list));
        Assert.Contains("seed 1", e.Message);
    }

    [Fact]
    public void Writer_writes_csv_rows_per_seed_and_a_report_with_figures()
    {
        using var dir = new TempDir();
        var r = StudyResults.Build("t", Outcomes(), 300);
        StudyResultsWriter.Write(dir.Path, r);
        var csv = File.ReadAllLines(dir.File("results.csv"));
        Assert.Equal(1 + 6 * 3, csv.Length);
        var html = File.ReadAllText(dir.File("report.html"));
        Assert.Contains("fca &gt; vp on target t1 with src&#39;s prompts", html);
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(html, "<img src=\"([^\"]+)\""))
            Assert.True(new FileInfo(Path.Combine(dir.Path, m.Groups[1].Value)).Length > 1000, m.Groups[1].Value);
        Assert.True(File.Exists(dir.File("results.json")));
    }
}
