using Tvp.Demo;
using Tvp.Experiments.Study;
using Xunit.Abstractions;

namespace Tvp.Tests.Demo;

/// <summary><c>tvp demo</c> end to end at a small size: the study-shaped results, the pooled comparison, and that the source gains.</summary>
public sealed class DemoExperimentTests
{
    private readonly ITestOutputHelper _out;
    public DemoExperimentTests(ITestOutputHelper output) => _out = output;

    [Fact]
    public void Small_demo_writes_study_results_with_seeds_intervals_and_paired_comparisons()
    {
        Assert.True(Directory.Exists(DemoZooFixture.Folder), $"{DemoZooFixture.Folder} missing: apt-get install dataset-fashion-mnist (./setup.sh)");
        using var cache = new TempDir();
        using var run = new TempDir();
        var options = new DemoOptions
        {
            ZooTrainImages = 300, PromptTrainImages = 160, ValidationImages = 40, TestImages = 150, Epochs = 2,
            PromptSeeds = new[] { 1, 2 }, FcaFeatures = DemoFcaChoice.Encoder, CacheRoot = cache.Path, Seed = 5,
        };
        var outcome = DemoExperiment.Run(options, Path.Combine(run.Path, "demo"));
        var dir = outcome.RunDir;
        foreach (var f in new[] { "results.json", "results.csv", "report.html", "demo.json", "options.json", "prompt-vp-seed1.safetensors", "prompt-tvp-encoder-seed2.safetensors" })
            Assert.True(File.Exists(Path.Combine(dir, f)), $"missing {f}");

        var results = StudyResults.FromJson(File.ReadAllText(Path.Combine(dir, "results.json")));
        Assert.Equal("demo", results.Study);
        var zoo = new[] { "zoo-linear", "zoo-mlp", "zoo-attention", "zoo-prototype", "zoo-cnn", "guide-zero-shot", DemoExperiment.SharedTargets };
        foreach (var model in zoo)
            foreach (var prompt in new[] { "none", "vp", "tvp-encoder" })
            {
                var cell = Assert.Single(results.Cells, c => c.Model == model && c.Prompt == prompt);
                Assert.Equal(new[] { 1, 2 }, cell.Seeds);
                Assert.Equal(2, cell.Top1.Length);
                Assert.Equal(model == DemoExperiment.SharedTargets ? 3 * 150 : 150, cell.NTest);
                Assert.Equal(model == "zoo-linear" ? "source" : model == "guide-zero-shot" ? "guide" : "target", cell.Role);
                Assert.InRange(cell.Top1Mean, 0, 1);
                Assert.NotNull(cell.Ci95);
                Assert.True(cell.Ci95![0] <= cell.Top1Mean + 1e-12 && cell.Top1Mean <= cell.Ci95[1] + 1e-12);
            }
        // The pooled shared-encoder gain is the mean of the three shared targets' gains.
        foreach (var prompt in new[] { "vp", "tvp-encoder" })
        {
            double pooled = results.Cells.Single(c => c.Model == DemoExperiment.SharedTargets && c.Prompt == prompt).GainMean;
            double mean = new[] { "zoo-mlp", "zoo-attention", "zoo-prototype" }.Average(m => results.Cells.Single(c => c.Model == m && c.Prompt == prompt).GainMean);
            Assert.Equal(mean, pooled, 9);
        }
        var cmp = Assert.Single(results.Comparisons, c => c.Model == DemoExperiment.SharedTargets);
        Assert.Equal(new[] { "tvp-encoder", "vp" }, new[] { cmp.A, cmp.B }.OrderBy(x => x, StringComparer.Ordinal).ToArray());
        Assert.True(cmp.DiffCi95[0] <= cmp.DiffMean && cmp.DiffMean <= cmp.DiffCi95[1]);
        Assert.InRange(cmp.PValue, 0, 1);

        var vp = results.Cells.Single(c => c.Model == "zoo-linear" && c.Prompt == "vp");
        _out.WriteLine($"source vp gain {vp.GainMean:P2} per seed {string.Join(", ", vp.Gain.Select(g => g.ToString("P2")))}; {cmp.Claim}");
        Assert.True(vp.Gain.All(g => g > 0), "the VP prompt must improve its own source on every seed");
    }
}
