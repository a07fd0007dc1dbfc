using System.CommandLine;
using Tvp.Experiments;

namespace Tvp.Cli.Commands;

/// <summary><c>tvp eval</c>: evaluate models with no prompt and with each given prompt file.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var o = new RunOptions();
        var models = new Option<string[]>("--models") { Description = "Models to evaluate (registry names, cards, folders, .onnx).", AllowMultipleArgumentsPerToken = true, Required = true };
        var prompts = new Option<string[]>("--prompt") { Description = "Prompt file(s) (prompt.safetensors); each becomes a row of the transfer matrix.", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => Array.Empty<string>() };
        var canvas = new Option<int?>("--canvas-size") { Description = "Evaluate on this canvas size; prompts made for another size are resized, with a warning (default: the first prompt's)." };
        var shard = new Option<string?>("--shard") { Description = "Score only block INDEX/COUNT of the test images (0-based); combine the run folders with tvp merge." };
        var cmd = new Command("eval", "Evaluate --models on the test split with no prompt and with each --prompt (a transfer matrix).");
        cmd.Options.Add(models);
        cmd.Options.Add(prompts);
        cmd.Options.Add(canvas);
        cmd.Options.Add(shard);
        foreach (var opt in new Option[] { o.Data, o.LabelMap, o.EvalBatchSize, o.TrainLimit, o.TestLimit, o.Seed, o.Device, o.Corruption, o.Severity, o.AllowOutsidePaths, o.Out, o.Overwrite, o.Quiet, o.Json })
            cmd.Options.Add(opt);
        o.Loading.AddTo(cmd);
        o.Images.AddTo(cmd);
        cmd.SetAction(r => CliAction.Run(() =>
        {
            using var loading = o.Loading.Use(r);
            var options = o.Bind(r) with { Targets = r.GetValue(models)!, ValidationFraction = 0 };
            var sh = r.GetValue(shard) is { } text ? Tvp.Experiments.Study.ShardSpec.Parse(text) : (Tvp.Experiments.Study.ShardSpec?)null;
            var runDir = r.GetValue(o.Out) ?? RunFolder.DefaultPath(sh is { } x ? $"eval-shard{x.Index}of{x.Count}" : "eval");
            var outcome = ProgressReporter.Run(r.GetValue(o.Quiet), p =>
                EvalExperiment.Run(options, r.GetValue(prompts)!, runDir, r.GetValue(o.Overwrite), r.GetValue(canvas), p, CliContext.Current.Cancel, shard: sh));
            TransferCommand.Print(outcome, r.GetValue(o.Json));
            if (!r.GetValue(o.Json)) CliContext.Out.WriteLine(outcome.Matrix.ToMarkdown());
            return 0;
        }));
        return cmd;
    }
}
