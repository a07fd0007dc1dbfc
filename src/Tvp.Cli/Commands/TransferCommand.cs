using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using Tvp.Experiments;

namespace Tvp.Cli.Commands;

/// <summary><c>tvp transfer</c>: train on a source, evaluate source + targets with and without the prompt.</summary>
internal static class TransferCommand
{
    public static Command Create()
    {
        var o = new RunOptions();
        var cmd = new Command("transfer", "Learn a prompt on --source, then evaluate the source and every --targets model with and without it on the test split.");
        o.AddTo(cmd, withTargets: true);
        cmd.Options.Add(o.ActivationCheckpointing);
        cmd.SetAction(r => CliAction.Run(() =>
        {
            using var loading = o.Loading.Use(r);
            using var checkpointing = Tvp.Models.ActivationCheckpointing.Use(r.GetValue(o.ActivationCheckpointing));
            var options = o.Bind(r);
            var runDir = r.GetValue(o.Out) ?? RunFolder.DefaultPath(options.Source);
            var outcome = ProgressReporter.Run(r.GetValue(o.Quiet), p =>
                TransferExperiment.Run(options, runDir, r.GetValue(o.Resume), r.GetValue(o.Overwrite), p, CliContext.Current.Cancel));
            Print(outcome, r.GetValue(o.Json));
            return 0;
        }));
        return cmd;
    }

    internal static void Print(TransferOutcome outcome, bool json)
    {
        if (json)
        {
            CliContext.Out.WriteLine(JsonSerializer.Serialize(new
            {
                run_dir = outcome.RunDir,
                results = outcome.Results.Select(x => new { model = x.Model, role = x.Role, top1_no_prompt = x.Top1NoPrompt, top1_prompt = x.Top1Prompt, n_test = x.NTest }),
            }));
            return;
        }
        var table = new Table().AddColumns("model", "role", "top-1 no prompt", "top-1 prompt", "gain", "n test");
        foreach (var x in outcome.Results)
        {
            var gain = 100 * (x.Top1Prompt - x.Top1NoPrompt);
            table.AddRow(Markup.Escape(x.Model), x.Role, $"{100 * x.Top1NoPrompt:F2}", $"{100 * x.Top1Prompt:F2}",
                gain >= 0 ? $"[green]+{gain:F2}[/]" : $"[red]{gain:F2}[/]", x.NTest.ToString());
        }
        CliContext.Current.Console.Write(table);
        CliContext.Current.Console.MarkupLine(Markup.Escape($"wall time {outcome.WallTime.TotalSeconds:F1} s" +
            (outcome.Training is { } t ? $", training {t.ImagesPerSecond:F1} images/s" : "") +
            $", evaluation {outcome.EvalImagesPerSecond:F1} images/s; results in {outcome.RunDir}"));
    }
}
