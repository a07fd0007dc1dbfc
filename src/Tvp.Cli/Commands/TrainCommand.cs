using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using Tvp.Experiments;

namespace Tvp.Cli.Commands;

/// <summary><c>tvp train</c>: learn a prompt on one source model (validation selects the kept prompt).</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var o = new RunOptions();
        var cmd = new Command("train", "Learn a visual prompt on --source; writes prompt.safetensors (+ PNG), metrics and checkpoints into --out.");
        o.AddTo(cmd, withTargets: false);
        cmd.Options.Add(o.ActivationCheckpointing);
        cmd.SetAction(r => CliAction.Run(() =>
        {
            using var loading = o.Loading.Use(r);
            using var checkpointing = Tvp.Models.ActivationCheckpointing.Use(r.GetValue(o.ActivationCheckpointing));
            var options = o.Bind(r);
            var runDir = r.GetValue(o.Out) ?? RunFolder.DefaultPath(options.Source);
            var outcome = ProgressReporter.Run(r.GetValue(o.Quiet), p =>
                TransferExperiment.Run(options, runDir, r.GetValue(o.Resume), r.GetValue(o.Overwrite), evaluate: false, p, CliContext.Current.Cancel));
            var t = outcome.Training!;
            if (r.GetValue(o.Json))
                CliContext.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    run_dir = outcome.RunDir,
                    prompt = Path.Combine(outcome.RunDir, "prompt.safetensors"),
                    steps = t.Steps, best_step = t.BestStep, best_validation_top1 = t.BestValidationTop1,
                    wall_s = t.WallTime.TotalSeconds, images_per_s = t.ImagesPerSecond,
                }));
            else
                CliContext.Current.Console.MarkupLine(Markup.Escape($"trained {t.Steps} steps in {t.WallTime.TotalSeconds:F1} s ({t.ImagesPerSecond:F1} images/s); kept step {t.BestStep}" +
                    (t.BestValidationTop1 is double v ? $" (validation top-1 {100 * v:F2}%)" : "") + $"; prompt: {Path.Combine(outcome.RunDir, "prompt.safetensors")}"));
            return 0;
        }));
        return cmd;
    }
}
