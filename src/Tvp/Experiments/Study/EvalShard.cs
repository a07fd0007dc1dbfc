using System.Diagnostics;
using System.Text.Json;
using Tvp.Evaluation;
using Tvp.Experiments.Report;
using Tvp.IO;
using Tvp.IO.Json;
using Tvp.Training;

namespace Tvp.Experiments.Study;

/// <summary>
/// <c>tvp eval --shard i/n</c>: shard i scores the i-th contiguous block of the test images (block boundaries
/// ⌊N·i/n⌋); <see cref="Merge"/> adds the shards' correct counts, so merged top-1/top-5 equal the unsharded run's.
/// A shard folder holds shard.json beside the usual run files.
/// </summary>
public static class EvalShard
{
    /// <summary>File marking a shard of an eval run.</summary>
    public const string FileName = "shard.json";

    /// <summary>The block of <paramref name="indices"/> that belongs to <paramref name="shard"/>.</summary>
    public static int[] Slice(IReadOnlyList<int> indices, ShardSpec shard)
    {
        long n = indices.Count;
        int from = (int)(n * shard.Index / shard.Count), to = (int)(n * (shard.Index + 1) / shard.Count);
        return indices.Skip(from).Take(to - from).ToArray();
    }

    /// <summary>Writes shard.json into a run folder.</summary>
    public static void Write(string runDir, ShardSpec shard, int images) =>
        AtomicFile.WriteAllText(Path.Combine(runDir, FileName), JsonSerializer.Serialize(new ShardFileJson("eval", shard.Index, shard.Count, images), ConfigJson.Options));

    /// <summary>True when <paramref name="dir"/> is a shard of an eval run.</summary>
    public static bool IsShard(string dir) => File.Exists(Path.Combine(dir, FileName));

    /// <summary>Merges eval shard folders (all n shards of one run, same options) into <paramref name="outDir"/>.</summary>
    public static TransferOutcome Merge(IReadOnlyList<string> dirs, string outDir)
    {
        var clock = Stopwatch.StartNew();
        TvpOptions? options = null;
        string? optionsJson = null;
        var seen = new SortedDictionary<int, string>();
        int count = -1;
        var correct = new Dictionary<(string Prompt, string Model), (long Top1, long? Top5, int N)>();
        var order = new List<(string Prompt, string Model)>();
        var roles = new Dictionary<string, string>();
        foreach (var d in dirs)
        {
            var shardPath = Path.Combine(d, FileName);
            var shard = ConfigJson.ReadFile<ShardFileJson>(shardPath);
            int index = shard.Index ?? throw new InvalidDataException($"{shardPath}: missing 'index'"),
                n = shard.Count ?? throw new InvalidDataException($"{shardPath}: missing 'count'");
            if (count >= 0 && n != count) throw new InvalidDataException($"{d}: shard {index}/{n}, but {dirs[0]} is one of {count}");
            count = n;
            if (!seen.TryAdd(index, d)) throw new InvalidDataException($"{d}: shard {index}/{n} is also {seen[index]}");
            var oj = File.ReadAllText(Path.Combine(d, "options.json"));
            if (optionsJson is null) { optionsJson = oj; options = TvpOptions.FromJson(oj); }
            else if (oj != optionsJson) throw new InvalidDataException($"{d}: options.json differs from {dirs[0]}'s: not shards of one run");
            var results = Path.Combine(d, "results.json");
            if (!File.Exists(results)) throw new InvalidDataException($"{d}: no results.json (shard unfinished)");
            var matrix = RunResults.ReadJson(results).Matrix is [var only] ? only : throw new InvalidDataException($"{results}: expected one 'matrix' object");
            foreach (var (model, role) in matrix.Roles ?? new Dictionary<string, string>()) roles[model] = role ?? "";
            foreach (var c in matrix.Cells ?? [])
            {
                string Missing(string field) => throw new InvalidDataException($"{results} matrix cells: missing '{field}'");
                var key = (c.Prompt ?? Missing("prompt"), c.Model ?? Missing("model"));
                int m = c.N ?? throw new InvalidDataException($"{results} matrix cells: missing 'n'");
                // top-1 was computed as count / n: the count is recovered exactly by rounding.
                long t1 = (long)Math.Round((c.Top1 ?? throw new InvalidDataException($"{results} matrix cells: missing 'top1'")) * m);
                long? t5 = c.Top5 is double top5 ? (long)Math.Round(top5 * m) : null;
                if (!correct.TryGetValue(key, out var sum)) { order.Add(key); sum = (0, t5 is null ? null : 0, 0); }
                correct[key] = (sum.Top1 + t1, sum.Top5 is null || t5 is null ? null : sum.Top5 + t5, sum.N + m);
            }
        }
        if (seen.Count != count) throw new InvalidDataException($"tvp merge: {seen.Count} of {count} eval shards given (missing: {string.Join(", ", Enumerable.Range(0, count).Where(i => !seen.ContainsKey(i)))})");
        var evals = order.Select(k => correct[k] is var s
            ? new EvaluationResult(k.Model, k.Prompt, s.N == 0 ? 0 : (double)s.Top1 / s.N, s.Top5 is long t5 ? (s.N == 0 ? 0 : (double)t5 / s.N) : null, s.N, Array.Empty<int>())
            : null!).ToArray();
        var matrixOut = new TransferMatrix(evals, roles);
        var first = matrixOut.Prompts.FirstOrDefault(p => p != StudyResults.NoPrompt) ?? StudyResults.NoPrompt;
        var perModel = matrixOut.Models.Select(name =>
        {
            var z = matrixOut.Cell(StudyResults.NoPrompt, name)!;
            var w = matrixOut.Cell(first, name) ?? z;
            return new ModelResult(name, roles.TryGetValue(name, out var r) ? r : "target", z.Top1, w.Top1, z.Top5, w.Top5, z.Count);
        }).ToArray();
        var (run, _) = RunFolder.Open(outDir, options!, resume: false);
        var outcome = new TransferOutcome(run.Path, perModel, matrixOut, null, clock.Elapsed, 0);
        ResultsWriter.Write(run, outcome);
        return outcome;
    }
}
