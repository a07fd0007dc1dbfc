using System.CommandLine;
using Tvp.Experiments.Study;

namespace Tvp.Cli.Commands;

/// <summary><c>tvp merge DIR...</c>: combine the folders of a sharded study into one (same results as the unsharded run).</summary>
internal static class MergeCommand
{
    public static Command Create()
    {
        var dirs = new Argument<string[]>("DIR") { Description = "Study folders written by tvp study --shard (or any folders of the same spec), or run folders of tvp eval --shard.", Arity = ArgumentArity.OneOrMore };
        var @out = new Option<string?>("--out") { Description = "Merged study folder (default runs/<time>-<name>-merged)." };
        var json = new Option<bool>("--json") { Description = "Print results.json on stdout (same schema as tvp study --json)." };
        var cmd = new Command("merge", "Merge the folders of a sharded study (cells combined in plan order) or of a sharded tvp eval (correct counts added): the results equal the unsharded run's.");
        cmd.Arguments.Add(dirs);
        cmd.Options.Add(@out);
        cmd.Options.Add(json);
        cmd.SetAction(r => CliAction.Run(() =>
        {
            var folders = r.GetValue(dirs)!;
            if (folders.All(EvalShard.IsShard))
            {
                var evalOut = r.GetValue(@out) ?? Tvp.Experiments.RunFolder.DefaultPath("eval-merged");
                var outcome = EvalShard.Merge(folders, evalOut);
                TransferCommand.Print(outcome, r.GetValue(json));
                if (!r.GetValue(json)) Console.WriteLine(outcome.Matrix.ToMarkdown());
                return 0;
            }
            var name = File.Exists(Path.Combine(folders[0], "spec.json")) ? StudySpec.Parse(File.ReadAllText(Path.Combine(folders[0], "spec.json")), folders[0]).Name : "study";
            var outDir = r.GetValue(@out) ?? Path.Combine("runs", $"{DateTime.Now:yyyyMMdd-HHmmss}-{name}-merged");
            var results = StudyRunner.Merge(folders, outDir);
            StudyCommand.Print(results, outDir, r.GetValue(json));
            return 0;
        }));
        return cmd;
    }
}
