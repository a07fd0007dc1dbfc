using Tvp.Experiments.Study;

namespace Tvp.Tests.Experiments.Study;

public class StudySpecTests
{
    /// <summary>The issue's tiny spec, verbatim.</summary>
    internal const string Tiny = """
        {"name": "tiny", "data": "../shared/data/cifar10",
         "corruption": {"name": "contrast", "severity": 4},
         "sources": ["cifar10-resnet20"], "targets": ["cifar10-resnet32", "cifar10-resnet44"],
         "label_map": "identity",
         "prompts": [{"name": "vp", "fca": 0, "tse": 0}, {"name": "fca", "fca": 0.5, "tse": 0}],
         "train": {"shots": 20, "epochs": 1, "lr": 1, "canvas_size": 40, "image_size": 32, "prompt_size": 4},
         "test_limit": 300, "seeds": [1, 2, 3]}
        """;

    [Fact]
    public void The_issue_tiny_spec_parses_into_six_jobs()
    {
        var spec = StudySpec.Parse(Tiny, "tiny.json");
        var jobs = StudyPlan.Expand(spec);
        Assert.Equal(6, jobs.Count);                                   // 2 prompts × 3 seeds
        Assert.All(jobs, j => Assert.Equal(new[] { "cifar10-resnet20", "cifar10-resnet32", "cifar10-resnet44" }, j.Models.Select(m => m.Model)));
        Assert.All(jobs, j => Assert.Equal(new TestCondition("contrast", 4), Assert.Single(j.Conditions)));
        Assert.Equal(new[] { 0, 0, 0, 0.5, 0.5, 0.5 }, jobs.Select(j => j.Options.Fca));
        Assert.Equal(new[] { 1, 2, 3, 1, 2, 3 }, jobs.Select(j => j.Options.Seed));
        Assert.All(jobs, j => Assert.Equal((20, 40, 32, 4, 1.0), (j.Options.Shots, j.Options.CanvasSize, j.Options.ImageSize, j.Options.PromptSize, j.Options.Lr)));
        Assert.Equal(6, jobs.Select(j => j.Hash).Distinct().Count());
    }

    [Fact]
    public void Hashes_depend_on_options_not_on_spec_order_or_other_cells()
    {
        var a = StudyPlan.Expand(StudySpec.Parse(Tiny, "a"));
        var more = StudySpec.Parse(Tiny, "b", overrides: """{"seeds": [1, 2, 3, 4]}""");
        var b = StudyPlan.Expand(more);
        Assert.Equal(8, b.Count);
        Assert.Subset(b.Select(j => j.Hash).ToHashSet(), a.Select(j => j.Hash).ToHashSet());   // an extended spec reuses every old cell
        var other = StudyPlan.Expand(StudySpec.Parse(Tiny, "c", overrides: """{"test_limit": 200}"""));
        Assert.Empty(other.Select(j => j.Hash).Intersect(a.Select(j => j.Hash)));
    }

    [Fact]
    public void Unknown_keys_are_refused_with_the_key_named()
    {
        var e = Assert.Throws<InvalidDataException>(() => StudySpec.Parse(Tiny.Replace("\"test_limit\"", "\"test_limt\""), "s.json"));
        Assert.Contains("unknown key 'test_limt'", e.Message);
        Assert.DoesNotContain("\n", e.Message);
        var nested = Assert.Throws<InvalidDataException>(() => StudySpec.Parse(Tiny.Replace("\"prompt_size\"", "\"promt_size\""), "s.json"));
        Assert.Contains("'promt_size'", nested.Message);
    }

    [Theory]
    [InlineData("\"seeds\": [1, 2, 3]", "\"seeds\": []", "seeds")]
    [InlineData("\"name\": \"vp\"", "\"name\": \"none\"", "reserved")]
    [InlineData("\"severity\": 4", "\"severity\": 7", "severity")]
    [InlineData("\"name\": \"contrast\"", "\"name\": \"smog\"", "smog")]
    public void Bad_values_name_the_key(string from, string to, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => StudySpec.Parse(Tiny.Replace(from, to), "s.json"));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Lists_make_grid_axes_and_name_grid_points()
    {
        var spec = StudySpec.Parse(Tiny, "s", overrides: """
            {"prompts": [{"name": "tvp", "fca": [0, 0.005], "tse": 0.001, "fca_features": ["connector", "encoder"]}],
             "corruption": [{"name": "contrast", "severity": [1, 5]}, {"name": "fog", "severity": 2}], "train": {"shots": [1, 4]}, "seeds": [7]}
            """);
        var jobs = StudyPlan.Expand(spec);
        Assert.Equal(2 * 2 * 2, jobs.Count);                          // shots × fca × site (clean training: one job serves all 3 conditions)
        Assert.Equal(3, jobs[0].Conditions.Count);
        Assert.Contains("tvp[fca=0.005,encoder]", jobs.Select(j => j.Prompt));
        var corruptTrain = StudyPlan.Expand(spec with { CorruptTrain = true });
        Assert.Equal(3 * 8, corruptTrain.Count);                      // now one job per training condition
    }

    [Fact]
    public void Full_and_overrides_merge_over_the_spec()
    {
        var json = Tiny.Replace("\"seeds\": [1, 2, 3]}", "\"seeds\": [1], \"full\": {\"seeds\": [1, 2, 3, 4, 5], \"train\": {\"epochs\": 3}}}");
        Assert.Single(StudySpec.Parse(json, "s").Seeds);
        var full = StudySpec.Parse(json, "s", full: true);
        Assert.Equal(5, full.Seeds.Count);
        Assert.Equal(3, full.Train.Epochs);
        Assert.Equal(40, full.Train.CanvasSize);                      // objects merge key by key
        var e = Assert.Throws<InvalidDataException>(() => StudySpec.Parse(Tiny, "s", overrides: "[1]"));
        Assert.Contains("--override", e.Message);
    }

    [Fact]
    public void Rotation_and_ensembles_choose_targets()
    {
        var spec = StudySpec.Parse(Tiny, "s", overrides: """{"sources": ["a", "b", "c"], "targets": ["d"], "rotate": true, "ensembles": [["a", "b"]], "seeds": [1], "prompts": [{"name": "vp"}]}""");
        var jobs = StudyPlan.Expand(spec);
        Assert.Equal(new[] { "a", "b", "c", "a+b" }, jobs.Select(j => j.SourceName));
        Assert.Equal(new[] { "b", "c", "d" }, jobs[0].Models.Where(m => m.Role == "target").Select(m => m.Model));
        Assert.Equal(new[] { "c", "d" }, jobs[3].Models.Where(m => m.Role == "target").Select(m => m.Model));
    }

    [Fact]
    public void Shards_partition_the_plan()
    {
        var jobs = StudyPlan.Expand(StudySpec.Parse(Tiny, "s"));
        var shards = Enumerable.Range(0, 4).Select(i => StudyPlan.Shard(jobs, i, 4)).ToArray();
        Assert.Equal(jobs.Select(j => j.Index), shards.SelectMany(s => s).Select(j => j.Index).Order());
        Assert.Equal(new ShardSpec(2, 5), ShardSpec.Parse("2/5"));
        foreach (var bad in new[] { "5/5", "1", "-1/2", "a/b", "0/0" })
            Assert.Contains("--shard", Assert.Throws<ArgumentException>(() => ShardSpec.Parse(bad)).Message);
    }

    [Fact]
    public void Relative_data_resolves_beside_the_spec_first()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(Path.Combine(dir.Path, "d"));
        File.WriteAllText(dir.File("s.json"), Tiny.Replace("../shared/data/cifar10", "d"));
        Assert.Equal(Path.Combine(dir.Path, "d"), StudySpec.Load(dir.File("s.json")).Data);
        File.WriteAllText(dir.File("t.json"), Tiny.Replace("../shared/data/cifar10", "not-here"));
        Assert.Equal(Path.GetFullPath("not-here"), StudySpec.Load(dir.File("t.json")).Data);   // else the current directory
    }

    [Fact]
    public void Every_built_in_study_parses_in_both_sizes()
    {
        Assert.Contains("tiny", StudySpec.BuiltIns);
        foreach (var name in StudySpec.BuiltIns)
        {
            var small = StudyPlan.Expand(StudySpec.Load(name));
            var full = StudyPlan.Expand(StudySpec.Load(name, full: true));
            Assert.True(small.Count > 0 && full.Count >= small.Count, name);
            Assert.False(string.IsNullOrWhiteSpace(StudySpec.Load(name).Description), name + " has no description (sizes)");
        }
    }
    [Fact]
    public void Built_in_studies_keep_the_grid_shapes_the_issue_asks_for()
    {
        int Count(string name) => StudyPlan.Expand(StudySpec.Load(name)).Count;
        var zoo = StudySpec.Load("zoo");
        Assert.Equal(4 * 5 * 5, Count("zoo"));                          // each head as source × 5 methods × 5 seeds (+ none)
        Assert.True(zoo.Rotate);
        var lambda = StudySpec.Load("lambda").Prompts.Single();
        foreach (var axis in new[] { lambda.Fca.Values, lambda.Tse.Values })
            Assert.Superset(new HashSet<double>(new[] { 0, 0.001, 0.005 }), new HashSet<double>(axis));
        Assert.Equal(new[] { 1, 4, 16, 64, 0 }, StudySpec.Load("shots").Train.Shots!.Values);
        var robustness = StudyPlan.Conditions(StudySpec.Load("robustness"));
        Assert.Equal(Tvp.Data.Corruptions.Names.Count * 5, robustness.Count);   // every corruption × severities 1-5
        foreach (var name in new[] { "mobilenet", "mobilenet-gtsrb" })
        {
            var spec = StudySpec.Load(name);
            Assert.Equal(new[] { "frequency", "iterative" }, spec.LabelMap.Values.Select(v => v.ToString()));
            Assert.True(spec.Train.Epochs is >= 2, name + ": ILM recomputes the mapping from the second epoch on");
        }
        Assert.NotEmpty(StudySpec.Load("ensemble").Ensembles);
        foreach (var name in StudySpec.BuiltIns.Where(n => n is not ("tiny" or "robustness")))
            Assert.True(StudySpec.Load(name).TestLimit is 0 or >= 500, name + ": the paired bootstrap needs at least 500 test images");
    }

    [Theory]
    [InlineData("""{"prompts": [{"name": "vp", "fca_features": "both"}]}""", "must be connector or encoder, got 'both' (at $.prompts[0].fca_features)")]
    [InlineData("""{"train": {"optimizer": "rmsprop"}}""", "must be normalized, sgd or adam, got 'rmsprop' (at $.train.optimizer)")]
    [InlineData("""{"train": {"epochs": 0}}""", "--epochs must be positive, got 0")]
    [InlineData("""{"train": {"image_size": 48}}""", "--image-size 48 is larger than the canvas 40")]
    public void A_bad_choice_or_range_is_one_line_naming_the_key(string overrides, string message)
    {
        var e = Assert.Throws<InvalidDataException>(() => StudySpec.Parse(Tiny, "s.json", overrides: overrides));
        Assert.Contains(message, e.Message);
        Assert.StartsWith("s.json: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
