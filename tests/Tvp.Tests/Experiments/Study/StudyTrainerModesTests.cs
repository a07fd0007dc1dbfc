using System.Text.Json.Nodes;
using Tvp.Experiments.Study;

namespace Tvp.Tests.Experiments.Study;

/// <summary>Study cells that need the trainer's ILM hook and multi-source training run end to end (tiny sizes).</summary>
public class StudyTrainerModesTests
{
    private static StudySpec Spec(TempDir dir, Action<JsonObject> edit)
    {
        var node = JsonNode.Parse(StudySpecTests.Tiny.Replace("../shared/data/cifar10", SharedData.Path("data", "cifar10")))!.AsObject();
        node["seeds"] = new JsonArray(1);
        node["test_limit"] = 60;
        node["resamples"] = 200;
        node["prompts"] = new JsonArray(new JsonObject { ["name"] = "vp", ["fca"] = 0, ["tse"] = 0 });
        node["train"]!["shots"] = 4;
        node["train"]!["epochs"] = 2;
        edit(node);
        File.WriteAllText(dir.File("spec.json"), node.ToJsonString());
        return StudySpec.Load(dir.File("spec.json"));
    }

    [SharedFact]
    public void Iterative_label_mapping_cells_run_and_are_labelled_iterative()
    {
        using var dir = new TempDir();
        var spec = Spec(dir, n =>
        {
            n["label_map"] = "iterative";
            n["sources"] = new JsonArray(SharedData.Path("models", "cifar10-resnet20.json"));
            n["targets"] = new JsonArray(SharedData.Path("models", "cifar10-resnet32.json"));
        });
        var r = StudyRunner.Run(spec, Path.Combine(dir.Path, "ilm")).Results;
        Assert.Equal(4, r.Cells.Count); // 2 models × {none, vp}
        Assert.All(r.Cells, c => Assert.Equal("iterative", c.LabelMap));
        Assert.All(r.Cells, c => Assert.Equal(60, c.NTest));
    }

    [SharedFact]
    public void An_ensemble_cell_trains_one_prompt_on_two_sources()
    {
        using var dir = new TempDir();
        string r20 = SharedData.Path("models", "cifar10-resnet20.json"), r32 = SharedData.Path("models", "cifar10-resnet32.json");
        var spec = Spec(dir, n =>
        {
            n["sources"] = new JsonArray();
            n["ensembles"] = new JsonArray(new JsonArray(r20, r32));
            n["targets"] = new JsonArray(SharedData.Path("models", "cifar10-resnet44.json"));
        });
        var r = StudyRunner.Run(spec, Path.Combine(dir.Path, "ensemble")).Results;
        var vp = r.Cells.Where(c => c.Prompt == "vp").ToArray();
        Assert.Equal(3, vp.Length);
        Assert.All(vp, c => Assert.Contains("+", c.Source));
        Assert.Equal(2, vp.Count(c => c.Role == "source"));
        Assert.Single(vp, c => c.Role == "target");
    }
}
