using System.CommandLine;
using Tvp.Experiments.Study;

namespace Tvp.Cli.Commands;

/// <summary><c>tvp study SPEC.json|NAME</c>: run a study (a grid of prompts × models × seeds) with statistics; resumable and shardable.</summary>
internal static class StudyCommand
{
    public static Command Create()
    {
        var spec = new Argument<string>("SPEC") { Description = $"A study spec file (JSON) or a built-in study: {string.Join(", ", StudySpec.BuiltIns)}." };
        var @out = new Option<string?>("--out") { Description = "Study folder (default runs/<time>-<name>); rerunning into it resumes and only runs new cells." };
        var json = new Option<bool>("--json") { Description = "Print results.json on stdout instead of the claims." };
        var full = new Option<bool>("--full") { Description = "The larger version of the study (the spec's \"full\" keys)." };
        var shard = new Option<string?>("--shard") { Description = "Run only shard INDEX/COUNT of the cells (0-based INDEX), e.g. $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT; combine the folders with tvp merge." };
        var over = new Option<string?>("--override") { Description = "A JSON object merged over the spec, e.g. '{\"seeds\": [1], \"test_limit\": 100}'." };
        var quiet = new Option<bool>("--quiet") { Description = "No progress output." };
        var cmd = new Command("study", "Run a study: prompts trained per source × method × λ × shots × corruption × seed, scored on every model; mean ± 95 % CI and paired bootstrap comparisons.");
        cmd.Arguments.Add(spec);
        foreach (var o in new Option[] { @out, json, full, shard, over, quiet }) cmd.Options.Add(o);
        var imageFlags = new ImageReadFlags();
        imageFlags.AddTo(cmd);
        cmd.SetAction(r => CliAction.Run(() =>
        {
            using var imageReading = imageFlags.Use(r);
            var s = StudySpec.Load(r.GetValue(spec)!, r.GetValue(full), r.GetValue(over));
            var sh = r.GetValue(shard) is { } text ? ShardSpec.Parse(text) : (ShardSpec?)null;
            var dir = r.GetValue(@out) ?? Path.Combine("runs", $"{DateTime.Now:yyyyMMdd-HHmmss}-{s.Name}" + (sh is { } x ? $"-shard{x.Index}of{x.Count}" : ""));
            var outcome = ProgressReporter.Run(r.GetValue(quiet), p => StudyRunner.Run(s, dir, sh, p));
            Print(outcome.Results, outcome.Dir, r.GetValue(json));
            if (!r.GetValue(json))
                Console.Error.WriteLine($"{outcome.Ran} cell(s) run, {outcome.Cached} reused, {outcome.WallSeconds:F0} s; results in {outcome.Dir}");
            return 0;
        }));
        return cmd;
    }

    /// <summary>results.json on stdout (--json), else the claim lines and the folder.</summary>
    internal static void Print(StudyResults results, string dir, bool json)
    {
        if (json) { Console.WriteLine(results.ToJson()); return; }
        Console.WriteLine($"study {results.Study}: {results.Cells.Count} cells, {results.Comparisons.Count} paired comparisons");
        foreach (var line in results.Claims()) Console.WriteLine("  " + line);
        Console.WriteLine($"report: {Path.Combine(dir, "report.html")}");
    }
}
