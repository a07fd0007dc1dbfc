using Tvp.Experiments.Report;

namespace Tvp.Tests.Experiments.Report;

/// <summary>results.json and metrics.jsonl are read through typed records: absent members are fine, mistyped ones are named.</summary>
public class RunResultsJsonTests
{
    [Fact]
    public void MatrixAsObjectOrArrayAndNumericLabelsRead()
    {
        using var tmp = new TempDir();
        var path = tmp.File("results.json");
        File.WriteAllText(path, """
            {"matrix": [{"title": "a", "models": ["m"], "cells": [{"prompt": "none", "model": "m", "top1": 0.5, "n": 4}, {"prompt": "p", "model": "m"}]}],
             "extra_tables": [{"title": "t", "columns": ["k", 2], "rows": [["x", 1.5, null]]}]}
            """);
        var r = RunResults.Read(path);
        var m = Assert.Single(r.Matrices);
        Assert.Equal(0.5, Assert.Single(m.Cells).Top1); // the cell without top1 is not evaluated
        Assert.Equal(new[] { "k", "2" }, r.ExtraTables[0].Columns);
        Assert.Equal(new[] { "x", "1.5", "" }, r.ExtraTables[0].Rows[0]);
        File.WriteAllText(path, """{"matrix": {"cells": [{"prompt": "none", "model": "m", "top1": 0.25}]}}""");
        Assert.Equal(0.25, Assert.Single(RunResults.Read(path).Matrices).Cells[0].Top1);
    }

    [Fact]
    public void AMistypedMemberIsOneLineNamingFileAndField()
    {
        using var tmp = new TempDir();
        var path = tmp.File("results.json");
        File.WriteAllText(path, """{"training": {"steps": "many"}}""");
        var e = Assert.Throws<InvalidDataException>(() => RunResults.Read(path));
        Assert.StartsWith(path, e.Message);
        Assert.Contains("'steps'", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void MetricsLinesOfTheWrongShapeAreSkipped()
    {
        using var tmp = new TempDir();
        var path = tmp.File("metrics.jsonl");
        File.WriteAllText(path, "{\"step\":1,\"epoch\":1,\"loss\":2.5}\n{\"step\":\"x\"}\n{\"step\":2,\"val_top1\":0.5,\"best\":true}\n{\"step\":3,\"lo");
        var log = MetricsLog.Read(path);
        Assert.Equal(2.5, Assert.Single(log.Steps).Loss);
        Assert.True(Assert.Single(log.Validations).Best);
        Assert.Equal(2, log.SkippedLines);
    }
}
