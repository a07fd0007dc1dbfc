using System.Text.Json;
using Tvp.Experiments.Study;
using Tvp.Tests.Cli;

namespace Tvp.Tests.Experiments.Study;

public class EvalShardTests
{
    [Fact]
    public void Slices_are_contiguous_and_cover_every_index_once()
    {
        var idx = Enumerable.Range(100, 11).ToArray();
        var parts = Enumerable.Range(0, 3).Select(i => EvalShard.Slice(idx, new ShardSpec(i, 3))).ToArray();
        Assert.Equal(idx, parts.SelectMany(p => p));
        Assert.Equal(new[] { 3, 4, 4 }, parts.Select(p => p.Length));
    }

    [SharedFact]
    public void Merged_eval_shards_equal_the_unsharded_eval()
    {
        using var dir = new TempDir();
        string[] common = { "eval", "--data", SharedData.Path("data", "cifar10"), "--models", "cifar10-resnet20", "cifar10-resnet32",
            "--test-limit", "90", "--corruption", "contrast", "--severity", "4", "--json", "--quiet" };
        var whole = CliRunner.Run(common.Concat(new[] { "--out", dir.File("whole") }).ToArray());
        Assert.True(whole.ExitCode == 0, whole.Stderr);
        foreach (var i in new[] { 0, 1 })
        {
            var part = CliRunner.Run(common.Concat(new[] { "--out", dir.File($"s{i}"), "--shard", $"{i}/2" }).ToArray());
            Assert.True(part.ExitCode == 0, part.Stderr);
        }
        var merged = CliRunner.Run("merge", dir.File("s1"), dir.File("s0"), "--out", dir.File("m"), "--json");
        Assert.True(merged.ExitCode == 0, merged.Stderr);
        static string Part(string json, string key)
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.GetProperty(key).GetRawText();
        }
        Assert.Equal(Part(whole.Stdout, "results"), Part(merged.Stdout, "results"));
        Assert.Equal(Part(File.ReadAllText(dir.File("whole/results.json")), "matrix"), Part(File.ReadAllText(dir.File("m/results.json")), "matrix"));
        using var w = JsonDocument.Parse(whole.Stdout);
        Assert.Equal(90, w.RootElement.GetProperty("results")[0].GetProperty("n_test").GetInt32());
        var missing = CliRunner.Run("merge", dir.File("s0"), "--out", dir.File("m2"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("1 of 2 eval shards", missing.Stderr);
    }
}
