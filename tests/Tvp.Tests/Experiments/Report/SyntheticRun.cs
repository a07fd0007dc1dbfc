using System.Globalization;
using System.Text;
using Tvp.Evaluation;
using Tvp.Experiments;
using Tvp.Prompts;
using Tvp.Training;
using static TorchSharp.torch;

namespace Tvp.Tests.Experiments.Report;

/// <summary>Writes the files of a run folder the way the experiments do (real writers, made-up numbers).</summary>
internal static class SyntheticRun
{
    public static readonly TvpOptions Options = new()
    {
        Data = "../shared/data/cifar10",
        Source = "cifar10-resnet20",
        Targets = new[] { "cifar10-resnet32", "mobilenet_v1_0.25_128" },
        Guide = "../shared/fixtures/tiny-clip",
        Epochs = 1,
        LogEvery = 5,
    };

    public static void WriteOptions(string dir) => File.WriteAllText(Path.Combine(dir, "options.json"), Options.ToJson());

    /// <summary>20 logged steps (every 5th of 100) and two validations, the second one a new best.</summary>
    public static void WriteMetrics(string dir, string name = "metrics.jsonl")
    {
        var sb = new StringBuilder();
        for (int i = 1; i <= 20; i++)
        {
            int step = 5 * i;
            double task = 2.3 * Math.Exp(-step / 40.0) + 0.4, fca = 0.02 * step / 100.0, tse = 24 + 3 * step / 100.0;
            double loss = task + 0.005 * fca - 0.001 * tse;
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"{{\"step\":{step},\"epoch\":1,\"loss\":{loss},\"task\":{task},\"fca\":{fca},\"tse\":{tse},\"lr\":{10 * Math.Cos(step / 200.0)},\"images_per_s\":123.4,\"elapsed_s\":{step * 0.13}}}"));
            if (step == 50) sb.AppendLine("{\"step\":50,\"val_top1\":0.55,\"best\":true}");
            if (step == 100) sb.AppendLine("{\"step\":100,\"val_top1\":0.6,\"best\":true}");
        }
        File.WriteAllText(Path.Combine(dir, name), sb.ToString());
    }

    /// <summary>A padding prompt (p = 30 on a 224 canvas): red channel 0.25, green −0.25, blue 0 on the border.</summary>
    public static void WritePrompt(string dir, string name = "prompt.safetensors")
    {
        using var scope = NewDisposeScope();
        var delta = stack(new[] { full(224, 224, 0.25f), full(224, 224, -0.25f), zeros(224, 224) });  // [3, 224, 224]
        using var prompt = new VisualPrompt(PromptShape.Padding, 224, 30, delta);
        PromptFile.Save(Path.Combine(dir, name), prompt,
            new PromptMetadata(PromptShape.Padding, 224, 164, 30, "cifar10-resnet20", "cifar10", 0.005, 0.001));
    }

    /// <summary>The models' accuracies (no prompt, prompt) as the test expects them in the report.</summary>
    public static readonly (string Model, string Role, double None, double Prompt)[] Accuracies =
    {
        ("cifar10-resnet20", "source", 0.6125, 0.6650),
        ("cifar10-resnet32", "target", 0.5800, 0.5575),
        ("mobilenet_v1_0.25_128", "target", 0.1000, 0.1375),
    };

    /// <summary>results.json (+ csv, md) through ResultsWriter, as a transfer run writes them.</summary>
    public static void WriteResults(string dir, bool withTraining)
    {
        var evals = Accuracies.SelectMany(a => new[]
        {
            new EvaluationResult(a.Model, "none", a.None, a.None + 0.3, 400, Array.Empty<int>()),
            new EvaluationResult(a.Model, "cifar10-resnet20", a.Prompt, a.Prompt + 0.3, 400, Array.Empty<int>()),
        }).ToArray();
        var roles = Accuracies.ToDictionary(a => a.Model, a => a.Role);
        var matrix = new TransferMatrix(evals, roles);
        var results = Accuracies.Select(a => new ModelResult(a.Model, a.Role, a.None, a.Prompt, a.None + 0.3, a.Prompt + 0.3, 400)).ToArray();
        var training = withTraining ? new TrainingResult(100, 0.6, 100, TimeSpan.FromSeconds(13), 123.4) : null;
        var run = Tvp.Experiments.RunFolder.Open(dir, Options, resume: true).Run;
        ResultsWriter.Write(run, new TransferOutcome(run.Path, results, matrix, training, TimeSpan.FromSeconds(75), 456.7));
    }
}
