using System.Text.Json;
using System.Text.Json.Nodes;

using Tvp.Experiments.Study;
using Tvp.Tests.Cli;

namespace Tvp.Tests.Experiments.Study;

/// <summary>End to end on the shared CIFAR-10 ResNets: a small version of the tiny study (2 seeds, 100 test images).</summary>
public class StudyRunTests
{
    private static string SpecFile(TempDir dir)
    {
        var json = StudySpecTests.Tiny.Replace("../shared/data/cifar10", SharedData.Path("data", "cifar10"));
        var node = JsonNode.Parse(json)!.AsObject();
        node["seeds"] = new JsonArray(1, 2);
        node["test_limit"] = 100;
        node["sources"] = new JsonArray(SharedData.Path("models", "cifar10-resnet20.json"));
        node["targets"] = new JsonArray(SharedData.Path("models", "cifar10-resnet32.json"));
        node["train"]!["shots"] = 5;
        node["resamples"] = 1000;
        File.WriteAllText(dir.File("spec.json"), node.ToJsonString());
        return dir.File("spec.json");
    }

    [SharedFact]
    public void Sharded_and_merged_equals_the_unsharded_study_and_reruns_reuse_the_cache()
    {
        using var dir = new TempDir();
        var spec = StudySpec.Load(SpecFile(dir));
        var whole = StudyRunner.Run(spec, Path.Combine(dir.Path, "whole"));
        Assert.Equal((4, 0), (whole.Ran, whole.Cached));
        // The shards train every prompt again: equal numbers are the determinism test too.
        var s0 = StudyRunner.Run(spec, Path.Combine(dir.Path, "s0"), new ShardSpec(0, 2));
        var s1 = StudyRunner.Run(spec, Path.Combine(dir.Path, "s1"), new ShardSpec(1, 2));
        Assert.Equal((2, 2), (s0.Ran, s1.Ran));
        var merged = Path.Combine(dir.Path, "merged");
        StudyRunner.Merge(new[] { Path.Combine(dir.Path, "s1"), Path.Combine(dir.Path, "s0") }, merged);
        var expected = File.ReadAllText(Path.Combine(dir.Path, "whole", "results.json"));
        Assert.Equal(expected, File.ReadAllText(Path.Combine(merged, "results.json")));
        Assert.Equal(File.ReadAllText(Path.Combine(dir.Path, "whole", "results.csv")), File.ReadAllText(Path.Combine(merged, "results.csv")));

        // 2 models × (none, vp, fca), 2 seeds each, real accuracies; one comparison per model.
        Assert.Equal(6, whole.Results.Cells.Count);
        Assert.All(whole.Results.Cells, c => Assert.Equal((2, 100), (c.Seeds.Length, c.NTest)));
        Assert.All(whole.Results.Cells, c => Assert.InRange(c.Top1Mean, 0.1, 0.95));
        Assert.Equal(2, whole.Results.Comparisons.Count);

        // Resume: the merged folder holds every cell, so a rerun there trains nothing and gives the same file.
        var again = StudyRunner.Run(spec, merged);
        Assert.Equal((0, 4), (again.Ran, again.Cached));
        Assert.Equal(expected, File.ReadAllText(Path.Combine(merged, "results.json")));

        // An incomplete merge names what is missing.
        var e = Assert.Throws<InvalidDataException>(() => StudyRunner.Merge(new[] { Path.Combine(dir.Path, "s0") }, Path.Combine(dir.Path, "m2")));
        Assert.Contains("2 of 4 cells", e.Message);
    }

    [SharedFact]
    public void Cli_study_json_and_merge_json_share_the_schema_and_bad_specs_fail_in_one_line()
    {
        using var dir = new TempDir();
        var spec = SpecFile(dir);
        var node = JsonNode.Parse(File.ReadAllText(spec))!.AsObject();
        node["seeds"] = new JsonArray(1);
        node["prompts"] = JsonNode.Parse("""[{"name": "vp"}]""");
        File.WriteAllText(spec, node.ToJsonString());
        var run = CliRunner.Run("study", spec, "--out", dir.File("one"), "--json", "--quiet");
        Assert.True(run.ExitCode == 0, run.Stderr);
        var merge = CliRunner.Run("merge", dir.File("one"), "--out", dir.File("m"), "--json");
        Assert.True(merge.ExitCode == 0, merge.Stderr);
        Assert.Equal(run.Stdout, merge.Stdout);
        using var doc = JsonDocument.Parse(run.Stdout);
        Assert.Equal("tiny", doc.RootElement.GetProperty("study").GetString());

        File.WriteAllText(dir.File("bad.json"), StudySpecTests.Tiny.Replace("\"label_map\"", "\"labelmap\""));
        var bad = CliRunner.Run("study", dir.File("bad.json"));
        Assert.Equal(2, bad.ExitCode);
        Assert.Equal($"error: {dir.File("bad.json")}: unknown key 'labelmap'", bad.Stderr.Trim());
    }
}
