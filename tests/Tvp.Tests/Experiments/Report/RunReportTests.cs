using System.Text.RegularExpressions;
using StbImageSharp;
using Tvp.Cli;
using Tvp.Experiments.Report;

namespace Tvp.Tests.Experiments.Report;

public class RunReportTests
{
    /// <summary>Every figure the page references: exists under the run folder and decodes as a PNG.</summary>
    private static Dictionary<string, ImageResult> Figures(string runDir, string html)
    {
        var figures = new Dictionary<string, ImageResult>();
        foreach (Match m in Regex.Matches(html, "<img src=\"([^\"]+)\""))
        {
            var rel = Uri.UnescapeDataString(m.Groups[1].Value);
            Assert.StartsWith("figures/", rel);
            var path = Path.Combine(runDir, rel);
            Assert.True(File.Exists(path), $"report references {rel}, which does not exist");
            var bytes = File.ReadAllBytes(path);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
            var img = ImageResult.FromMemory(bytes, ColorComponents.RedGreenBlue);
            Assert.True(img.Width > 100 && img.Height > 100, $"{rel} is {img.Width}×{img.Height}");
            figures[Path.GetFileName(rel)] = img;
        }
        return figures;
    }

    private static (byte R, byte G, byte B) Pixel(ImageResult img, int x, int y)
    {
        int i = 3 * (y * img.Width + x);
        return (img.Data[i], img.Data[i + 1], img.Data[i + 2]);
    }

    [Fact]
    public void TransferRunReportHasTablesAndValidFigures()
    {
        using var dir = new TempDir();
        SyntheticRun.WriteOptions(dir.Path);
        SyntheticRun.WriteMetrics(dir.Path);
        SyntheticRun.WritePrompt(dir.Path);
        SyntheticRun.WriteResults(dir.Path, withTraining: true);

        var path = RunReport.Write(dir.Path);

        Assert.Equal(dir.File("report.html"), path);
        var html = File.ReadAllText(path);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("http", html);
        // Accuracy table: top-1 without / with prompt and the gain, per model.
        var accuracy = Regex.Match(html, "<table class=\"num\" id=\"accuracy\">(.*?)</table>", RegexOptions.Singleline).Groups[1].Value;
        Assert.Contains("<td>cifar10-resnet20</td>", accuracy);
        Assert.Contains("<td>61.25</td><td>66.50</td><td class=\"up\">+5.25</td>", accuracy);
        Assert.Contains("<td>58.00</td><td>55.75</td><td class=\"down\">−2.25</td>", accuracy);
        Assert.Contains("<td>10.00</td><td>13.75</td><td class=\"up\">+3.75</td>", accuracy);
        Assert.Contains("<td>91.25</td><td>96.50</td>", accuracy);             // top-5
        Assert.Contains("<td>400</td>", accuracy);
        // Transfer matrix table: row of the prompt, gains in brackets.
        Assert.Contains("<tr><th>cifar10-resnet20</th><td>66.50 <span class=\"up\">(+5.25)</span></td><td>55.75 <span class=\"down\">(−2.25)</span></td>", html);
        // Summary: options, wall time, throughput, kept step.
        Assert.Contains("cifar10-resnet32, mobilenet_v1_0.25_128", html);
        Assert.Contains("λ_fca = 0.005, λ_tse = 0.001", html);
        Assert.Contains("1 min 15 s", html);
        Assert.Contains("100 steps, 13.0 s, 123.4 images/s", html);
        Assert.Contains("456.7 images/s", html);
        Assert.Contains("step 100 (validation top-1 60.00 %)", html);

        var figures = Figures(dir.Path, html);
        Assert.Equal(new[] { "loss.png", "matrix.png", "prompt-on-grey.png", "prompt.png", "validation.png" }, figures.Keys.Order().ToArray());
        // The prompt on grey, enlarged 2×: border = 0.5 + δ, inside = 0.5.
        var grey = figures["prompt-on-grey.png"];
        Assert.Equal((448, 448), (grey.Width, grey.Height));
        Assert.Equal(((byte)191, (byte)64, (byte)128), Pixel(grey, 5, 5));
        Assert.Equal(((byte)191, (byte)64, (byte)128), Pixel(grey, 447, 200));
        Assert.Equal(((byte)128, (byte)128, (byte)128), Pixel(grey, 224, 224));
        Assert.Equal(((byte)128, (byte)128, (byte)128), Pixel(grey, 60, 60));   // first inner pixel (30·2)
        Assert.Equal(((byte)191, (byte)64, (byte)128), Pixel(grey, 59, 60));    // last border pixel
        // The preview: min–max scaled inside the mask (red 1, green 0 after scaling), grey outside.
        Assert.Equal(((byte)255, (byte)0, (byte)128), Pixel(figures["prompt.png"], 0, 0));
        Assert.Contains("‖δ‖∞ = 0.250", html);
    }

    [Fact]
    public void EvaluationOnlyRunWithoutMetricsOrPrompt()
    {
        using var dir = new TempDir();
        SyntheticRun.WriteOptions(dir.Path);
        SyntheticRun.WriteResults(dir.Path, withTraining: false);

        var html = File.ReadAllText(RunReport.Write(dir.Path));

        Assert.Contains("<td>61.25</td><td>66.50</td>", html);
        Assert.DoesNotContain("<h2>Training", html);
        Assert.DoesNotContain("<h2>Prompt", html);
        Assert.DoesNotContain("kept prompt", html);
        Assert.Equal(new[] { "matrix.png" }, Figures(dir.Path, html).Keys.ToArray());
    }

    [Fact]
    public void UnfinishedRunShowsTrainingSoFar()
    {
        using var dir = new TempDir();
        SyntheticRun.WriteOptions(dir.Path);
        SyntheticRun.WriteMetrics(dir.Path);
        File.AppendAllText(dir.File("metrics.jsonl"), "{\"step\":105,\"epo");      // a line cut short by a crash

        var html = File.ReadAllText(RunReport.Write(dir.Path));

        Assert.Contains("has not finished", html);
        Assert.Contains("100 steps, 13.0 s, 123.4 images/s", html);
        Assert.Contains("1 unreadable line(s) skipped", html);
        Assert.DoesNotContain("id=\"accuracy\"", html);
        Assert.Equal(new[] { "loss.png", "validation.png" }, Figures(dir.Path, html).Keys.Order().ToArray());
    }

    [Fact]
    public void SeveralPromptsMatricesAndExtraTables()
    {
        using var dir = new TempDir();
        SyntheticRun.WritePrompt(dir.Path);
        SyntheticRun.WritePrompt(dir.Path, "prompt-1.safetensors");
        SyntheticRun.WriteMetrics(dir.Path, "metrics-1.jsonl");
        File.WriteAllText(dir.File("results.json"), """
            {
              "matrix": { "prompts": ["none", "a"], "models": ["m1", "m2"], "roles": { "m1": "source" },
                          "cells": [ { "prompt": "none", "model": "m1", "top1": 0.5, "top5": null, "gain": null, "n": 10 },
                                     { "prompt": "a", "model": "m1", "top1": 0.7, "top5": null, "gain": 0.2, "n": 10 },
                                     { "prompt": "none", "model": "m2", "top1": 0.4, "top5": null, "gain": null, "n": 10 } ] },
              "matrices": [ { "title": "Severity 3", "prompts": ["none", "b"], "models": ["m3"],
                              "cells": [ { "prompt": "b", "model": "m3", "top1": 0.125, "gain": -0.0625, "n": 8 } ] } ],
              "extra_tables": [ { "title": "Data efficiency", "columns": ["shots", "top-1 <%>"], "rows": [["1", "12.5"], ["16", "48.75"]] } ]
            }
            """);

        var html = File.ReadAllText(RunReport.Write(dir.Path));

        Assert.Contains("<h2>Severity 3</h2>", html);
        Assert.Contains("<td>70.00 <span class=\"up\">(+20.00)</span></td><td>–</td>", html);   // m2 has no cell for prompt a
        Assert.Contains("<td>12.50 <span class=\"down\">(−6.25)</span></td>", html);
        Assert.Contains("<h2>Data efficiency</h2>", html);
        Assert.Contains("<th>top-1 &lt;%&gt;</th>", html);
        Assert.Contains("<tr><td>16</td><td>48.75</td></tr>", html);
        Assert.Contains("<h2>Prompt prompt-1.safetensors</h2>", html);
        Assert.Equal(new[] { "loss-1.png", "matrix-1.png", "matrix.png", "prompt-1-on-grey.png", "prompt-1.png", "prompt-on-grey.png", "prompt.png", "validation-1.png" },
            Figures(dir.Path, html).Keys.Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public void FolderThatIsNotARunIsAnError()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("notes.txt"), "hello");
        var e = Assert.Throws<InvalidDataException>(() => RunReport.Write(dir.Path));
        Assert.Contains(dir.Path, e.Message);
        Assert.Contains("not a run folder", e.Message);
        Assert.False(File.Exists(dir.File("report.html")));
        Assert.Throws<DirectoryNotFoundException>(() => RunReport.Write(dir.File("missing")));

        File.WriteAllText(dir.File("results.json"), "{ not json");
        var bad = Assert.Throws<InvalidDataException>(() => RunReport.Write(dir.Path));
        Assert.Contains("results.json", bad.Message);
    }

    [Fact]
    public void ReportCommandWritesTheReportAndRejectsNonRuns()
    {
        using var dir = new TempDir();
        SyntheticRun.WriteOptions(dir.Path);
        SyntheticRun.WriteResults(dir.Path, withTraining: false);
        Assert.Equal(0, CliApp.Build().Parse(new[] { "report", dir.Path }).Invoke());
        Assert.True(File.Exists(dir.File("report.html")));

        using var empty = new TempDir();
        Assert.Equal(2, CliApp.Build().Parse(new[] { "report", empty.Path }).Invoke());
    }
}
