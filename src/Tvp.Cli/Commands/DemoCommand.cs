using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Tvp.Demo;
using Tvp.Training;

namespace Tvp.Cli.Commands;

/// <summary>
/// <c>tvp demo</c>: TVP end to end on what ships offline — a zoo of Fashion-MNIST classifiers sharing the frozen
/// ImageNet ResNet-18 (plus one small CNN that shares nothing), an offline ResNet-18 × MiniLM guide, and prompts
/// trained with plain VP and with TVP on corrupted images; prints the transfer table.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var d = new DemoOptions();
        var data = new Option<string>("--data") { Description = "Fashion-MNIST IDX folder (Debian's dataset-fashion-mnist).", DefaultValueFactory = _ => d.Data };
        var source = new Option<string>("--source") { Description = "Zoo model the prompts are trained on: zoo-linear | zoo-mlp | zoo-attention | zoo-prototype | zoo-cnn.", DefaultValueFactory = _ => d.Source };
        var corruption = new Option<string>("--corruption") { Description = "Corruption of the downstream task's images.", DefaultValueFactory = _ => d.Corruption };
        var severity = new Option<int>("--severity") { Description = "Corruption severity 1–5.", DefaultValueFactory = _ => d.Severity };
        var fcaFeatures = new Option<string>("--fca-features") { Description = "TVP prompts to train: both | connector (FCA on each model's own connector) | encoder (FCA on the shared encoder).", DefaultValueFactory = _ => OptionNames.Name(d.FcaFeatures) };
        var fca = new Option<double>("--fca") { Description = "λ_fca of the TVP prompts.", DefaultValueFactory = _ => d.Fca };
        var tse = new Option<double>("--tse") { Description = "λ_tse of the TVP prompts.", DefaultValueFactory = _ => d.Tse };
        var lr = new Option<double>("--lr") { Description = "Learning rate (normalised-gradient step).", DefaultValueFactory = _ => d.Lr };
        var epochs = new Option<int>("--epochs") { Description = "Prompt training epochs.", DefaultValueFactory = _ => d.Epochs };
        var promptImages = new Option<int>("--prompt-train-images") { Description = "Corrupted training images for the prompts.", DefaultValueFactory = _ => d.PromptTrainImages };
        var testImages = new Option<int>("--test-images") { Description = "Test images evaluated.", DefaultValueFactory = _ => d.TestImages };
        var zooImages = new Option<int>("--zoo-train-images") { Description = "Clean training images for the zoo and the guide.", DefaultValueFactory = _ => d.ZooTrainImages };
        var resolution = new Option<int>("--resolution") { Description = "Shared encoder input size (multiple of 32).", DefaultValueFactory = _ => d.Resolution };
        var seed = new Option<int>("--seed") { Description = "Seed of the zoo, guide and data splits (fixed across prompt seeds).", DefaultValueFactory = _ => d.Seed };
        var seeds = new Option<int[]>("--seeds") { Description = "Prompt training seeds (each prompt method is trained once per seed).", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => d.PromptSeeds.ToArray() };
        var valImages = new Option<int>("--val-images") { Description = "Held-out corrupted training images for prompt selection (outside the prompt's training images).", DefaultValueFactory = _ => d.ValidationImages };
        var device = new Option<string>("--device") { Description = "cpu | cuda | cuda:N.", DefaultValueFactory = _ => d.Device };
        var fresh = new Option<bool>("--fresh") { Description = "Ignore the cached zoo, features and guide and train them again." };
        var @out = new Option<string?>("--out") { Description = "Run folder (default runs/demo-<time>)." };
        var quiet = new Option<bool>("--quiet") { Description = "No progress output." };
        var json = new Option<bool>("--json") { Description = "Print results.json on stdout instead of the tables." };
        var cmd = new Command("demo", "TVP end to end, offline: a zoo sharing one frozen ImageNet ResNet-18 (+ a CNN that shares nothing), VP vs TVP prompts on corrupted Fashion-MNIST, the transfer table.");
        foreach (var o in new Option[] { data, source, corruption, severity, fcaFeatures, fca, tse, lr, epochs, promptImages, testImages, zooImages, resolution, seed, seeds, valImages, device, fresh, @out, quiet, json })
            cmd.Options.Add(o);
        cmd.SetAction(r => CliAction.Run(() =>
        {
            var options = d with
            {
                Data = r.GetValue(data)!, Source = r.GetValue(source)!, Corruption = r.GetValue(corruption)!, Severity = r.GetValue(severity),
                FcaFeatures = OptionNames.Parse<DemoFcaChoice>(r.GetValue(fcaFeatures), "--fca-features"), Fca = r.GetValue(fca), Tse = r.GetValue(tse), Lr = r.GetValue(lr), Epochs = r.GetValue(epochs),
                PromptTrainImages = r.GetValue(promptImages), TestImages = r.GetValue(testImages), ZooTrainImages = r.GetValue(zooImages),
                Resolution = r.GetValue(resolution), Seed = r.GetValue(seed), PromptSeeds = r.GetValue(seeds)!, ValidationImages = r.GetValue(valImages), Device = r.GetValue(device)!, Fresh = r.GetValue(fresh),
            };
            var runDir = r.GetValue(@out) ?? Path.Combine("runs", $"demo-{DateTime.Now:yyyyMMdd-HHmmss}");
            var outcome = ProgressReporter.Run(r.GetValue(quiet), p => DemoExperiment.Run(options, runDir, p, CliContext.Current.Cancel));
            if (r.GetValue(json)) CliContext.Out.WriteLine(File.ReadAllText(Path.Combine(outcome.RunDir, "results.json")));
            else Print(outcome, options);
            return 0;
        }));
        return cmd;
    }

    private static string Pct(double v) => (100 * v).ToString("F2", CultureInfo.InvariantCulture);

    private static string Signed(double v) => (v >= 0 ? "+" : "") + Pct(v);

    private static void Print(DemoOutcome o, DemoOptions options)
    {
        var cells = o.Results.Cells;
        var models = cells.Select(c => c.Model).Distinct().ToArray();
        var prompts = cells.Select(c => c.Prompt).Distinct().ToArray();
        int n = cells.FirstOrDefault(c => c.Model == o.Source)?.NTest ?? 0;
        CliContext.Current.Console.MarkupLine(Markup.Escape($"Fashion-MNIST under {options.Corruption} (severity {options.Severity}), {n} test images; prompts trained on {o.Source}, " +
            $"seeds {string.Join(", ", options.PromptSeeds)}. Top-1 % mean ± std over seeds; gain over no prompt with its 95 % t-interval:"));
        var table = new Table().AddColumn("prompt \\ model");
        foreach (var model in models)
            table.AddColumn(new TableColumn(Markup.Escape($"{model}\n({cells.First(c => c.Model == model).Role})")).RightAligned());
        foreach (var p in prompts)
            table.AddRow(new[] { Markup.Escape(p) }.Concat(models.Select(model =>
            {
                var c = cells.FirstOrDefault(x => x.Model == model && x.Prompt == p);
                if (c is null) return "–";
                var top = $"{Pct(c.Top1Mean)} ± {Pct(c.Top1Std)}";
                if (p == "none") return top;
                var ci = c.GainCi95 is { } g ? $" [{Signed(g[0])}, {Signed(g[1])}]" : "";
                var colour = c.GainCi95 is { } g2 && g2[0] > 0 ? "green" : c.GainCi95 is { } g3 && g3[1] < 0 ? "red" : "grey";
                return $"{top}\n[{colour}]{Markup.Escape(Signed(c.GainMean) + ci)}[/]";
            })).ToArray());
        var clean = o.Clean.ToDictionary(c => c.Model, c => c.Top1);
        table.AddRow(new[] { "[grey]clean, no prompt[/]" }.Concat(models.Select(model => clean.TryGetValue(model, out var v) ? $"[grey]{Pct(v)}[/]" : "")).ToArray());
        CliContext.Current.Console.Write(table);
        CliContext.Current.Console.MarkupLine("Paired comparisons (bootstrap over seeds × test images; a claim is made only when the 95 % CI of the difference excludes 0):");
        foreach (var c in o.Results.Comparisons.Where(c => c.Model == DemoExperiment.SharedTargets || c.Role == "source"))
            CliContext.Current.Console.MarkupLine("  " + Markup.Escape(c.Claim));
        CliContext.Current.Console.MarkupLine(Markup.Escape($"offline guide (ResNet-18 × MiniLM) zero-shot top-1: {Pct(o.GuideHoldoutZeroShot)}% held-out clean, " +
            $"{(clean.TryGetValue("guide-zero-shot", out var g) ? Pct(g) : "?")}% clean test (chance 10%)"));
        CliContext.Current.Console.MarkupLine(Markup.Escape($"time {o.WallSeconds:F1} s ({string.Join(", ", o.Timings.Select(t => $"{t.Phase} {t.Seconds:F1} s"))}); results in {o.RunDir} (report.html)"));
    }
}
