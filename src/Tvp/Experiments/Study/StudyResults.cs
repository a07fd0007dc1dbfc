using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Tvp.Evaluation.Statistics;

namespace Tvp.Experiments.Study;

/// <summary>
/// The results of a study (the schema of results.json): every (model, prompt, condition) cell over its seeds with
/// mean, std and 95 % t-intervals, and every pair of prompt methods on each model compared by a paired bootstrap
/// over seeds × test images. Built from per-image outcomes only, so a merge of shards gives the same numbers as
/// the unsharded study.
/// </summary>
/// <param name="Study">Study name.</param>
/// <param name="Cells">Cells in a fixed order (model roles, then spec order of prompts).</param>
/// <param name="Comparisons">Paired comparisons.</param>
public sealed record StudyResults(string Study, IReadOnlyList<StudyCell> Cells, IReadOnlyList<StudyComparison> Comparisons)
{
    /// <summary>Per source and condition with at least two prompt methods: the one chosen on validation alone.</summary>
    public IReadOnlyList<StudySelection> Selected { get; init; } = Array.Empty<StudySelection>();

    /// <summary>The prompt name of the no-prompt cells.</summary>
    public const string NoPrompt = "none";

    /// <summary>Up to this many prompt methods on a model are compared pairwise; beyond it each is compared with the first only.</summary>
    public const int MaxAllPairs = 6;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>
    /// Aggregates outcomes into cells and comparisons. Outcomes are grouped by everything but the seed; the
    /// no-prompt cell of each model and condition comes from <see cref="CellOutcome.NoneCorrect"/>. Order of cells and
    /// comparisons follows the first appearance of each model / prompt in <paramref name="outcomes"/> (not the seed
    /// order or the order shards were merged in: outcomes are first sorted by their keys' first appearance and seed).
    /// </summary>
    public static StudyResults Build(string name, IReadOnlyList<CellOutcome> outcomes, int resamples = PairedBootstrap.DefaultResamples)
    {
        var duplicates = outcomes.GroupBy(o => (o.Group, o.Seed)).FirstOrDefault(g => g.Count() > 1);
        if (duplicates is not null)
            throw new InvalidDataException($"study {name}: two outcomes for {duplicates.Key.Group.Model} / {duplicates.Key.Group.Prompt} seed {duplicates.Key.Seed} (merged the same shard twice?)");
        var cells = new List<StudyCell>();
        var comparisons = new List<StudyComparison>();
        foreach (var pairing in outcomes.Select(o => o.Pairing).Distinct())
        {
            var members = outcomes.Where(o => o.Pairing == pairing).ToArray();
            // No prompt: one per seed (identical across prompts of a seed by construction; take the first).
            var none = members.GroupBy(o => o.Seed).OrderBy(g => g.Key).Select(g => (Seed: g.Key, Correct: g.First().NoneCorrect)).ToArray();
            var first = members[0];
            cells.Add(Cell(first with { Prompt = NoPrompt, LambdaFca = 0, LambdaTse = 0 }, none.Select(s => s.Seed).ToArray(),
                none.Select(s => s.Correct).ToArray(), none.Select(s => s.Correct).ToArray()));
            var prompts = members.Select(o => o.Group).Distinct().ToArray();
            foreach (var g in prompts)
            {
                var runs = members.Where(o => o.Group == g).OrderBy(o => o.Seed).ToArray();
                cells.Add(Cell(runs[0], runs.Select(r => r.Seed).ToArray(), runs.Select(r => r.Correct).ToArray(), runs.Select(r => r.NoneCorrect).ToArray(),
                    runs.Select(r => r.ValidationTop1).ToArray()));
            }
            // Every pair when there are few prompt methods; against the first (the baseline) when a grid makes many.
            for (int i = 0; i < prompts.Length; i++)
                for (int j = i + 1; j < prompts.Length; j++)
                    if ((prompts.Length <= MaxAllPairs || i == 0) && Compare(members, prompts[j], prompts[i], resamples) is { } c) comparisons.Add(c);
        }
        comparisons.AddRange(EnsembleComparisons(outcomes, resamples));
        return new StudyResults(name, cells, comparisons) { Selected = Select(cells) };
    }

    private static List<StudySelection> Select(List<StudyCell> cells)
    {
        var chosen = new List<StudySelection>();
        var sources = cells.Where(c => c.Role == "source" && c.Prompt != NoPrompt && c.ValidationTop1Mean is not null).ToArray();
        foreach (var g in sources.GroupBy(c => (c.Model, c.Source, c.Shots, c.Corruption, c.Severity, c.LabelMap)))
        {
            var list = g.ToArray();
            if (list.Length < 2) continue;
            var best = list.Aggregate((a, b) => b.ValidationTop1Mean > a.ValidationTop1Mean ? b : a);
            var targets = cells.Where(c => c.Role == "target" && c.Source == best.Source && c.Prompt == best.Prompt && c.Shots == best.Shots
                && c.Corruption == best.Corruption && c.Severity == best.Severity && c.LabelMap == best.LabelMap).Select(c => c.GainMean).ToArray();
            chosen.Add(new StudySelection(best.Source, best.Shots, best.Corruption, best.Severity, best.LabelMap, best.Prompt, best.LambdaFca, best.LambdaTse,
                best.ValidationTop1Mean!.Value, best.GainMean, targets.Length > 0 ? targets.Average() : null));
        }
        return chosen;
    }

    private static StudyCell Cell(CellOutcome key, int[] seeds, bool[][] correct, bool[][] none, double?[]? validation = null)
    {
        var top1 = correct.Select(Accuracy).ToArray();
        var gain = correct.Select((c, s) => Accuracy(c) - Accuracy(none[s])).ToArray();
        int n = correct.Length == 0 ? 0 : correct[0].Length;
        if (correct.Any(c => c.Length != n))
            throw new InvalidDataException($"{key.Model} / {key.Prompt}: seeds were scored on different numbers of test images ({string.Join(", ", correct.Select(c => c.Length))})");
        return new StudyCell(key.Model, key.Role, key.Source, key.Prompt, key.LambdaFca, key.LambdaTse, key.FcaFeatures, key.Shots, key.Corruption,
            key.Severity, key.LabelMap, seeds, top1, SeedStatistics.Mean(top1), SeedStatistics.Std(top1), SeedStatistics.TInterval95(top1),
            gain, SeedStatistics.Mean(gain), SeedStatistics.TInterval95(gain), n,
            validation is { Length: > 0 } v && v.All(x => x is not null) ? v.Average(x => x!.Value) : null);
    }

    private static double Accuracy(bool[] correct) => correct.Length == 0 ? 0 : (double)correct.Count(c => c) / correct.Length;

    /// <summary>
    /// Each ensemble prompt (source "a+b") against the single-source prompt of each of its members with the same method
    /// and condition, on every model both evaluated as a target (same test images, same seeds).
    /// </summary>
    private static IEnumerable<StudyComparison> EnsembleComparisons(IReadOnlyList<CellOutcome> outcomes, int resamples)
    {
        var targets = outcomes.Where(o => o.Role == "target").ToArray();
        var groups = targets.Select(o => o.Group).Distinct().ToHashSet();
        foreach (var ensemble in groups.Where(g => g.Source.Contains(StudyJob.EnsembleSeparator, StringComparison.Ordinal)))
            foreach (var member in ensemble.Source.Split(StudyJob.EnsembleSeparator))
            {
                var single = ensemble with { Source = member };
                if (!groups.Contains(single)) continue;
                var members = targets.Where(o => o.Group == ensemble || o.Group == single).ToArray();
                if (Compare(members, ensemble, single, resamples) is { } c) yield return c;
            }
    }

    private static StudyComparison? Compare(CellOutcome[] members, CellGroupKey a, CellGroupKey b, int resamples)
    {
        var ra = members.Where(o => o.Group == a).ToDictionary(o => o.Seed);
        var rb = members.Where(o => o.Group == b).ToDictionary(o => o.Seed);
        var seeds = ra.Keys.Intersect(rb.Keys).OrderBy(s => s).ToArray();
        if (seeds.Length == 0) return null;
        var d = PairedBootstrap.Compare(seeds.Select(s => ra[s].Correct).ToArray(), seeds.Select(s => rb[s].Correct).ToArray(), resamples);
        // The claim names the better method first and states its lead (so the printed difference is positive);
        // diff_mean / diff_ci95 in the JSON stay a − b.
        bool aWins = d.Mean > 0;
        bool sameSource = a.Source == b.Source;
        // Prompts of different sources (an ensemble against a single source) are named with their source.
        string na = sameSource ? a.Prompt : $"{a.Prompt} ({a.Source})", nb = sameSource ? b.Prompt : $"{b.Prompt} ({b.Source})";
        string claim = d.Significant
            ? (aWins ? $"{na} > {nb}" : $"{nb} > {na}") + $" on {Where(a, sameSource)}: diff " +
              (aWins ? $"{Points(d.Mean)} [{Points(d.Ci95[0])}, {Points(d.Ci95[1])}]" : $"{Points(-d.Mean)} [{Points(-d.Ci95[1])}, {Points(-d.Ci95[0])}]") + $", p={P(d.PValue)}"
            : $"{na} vs {nb} on {Where(a, sameSource)}: no significant difference (diff {Points(d.Mean)} [{Points(d.Ci95[0])}, {Points(d.Ci95[1])}], p={P(d.PValue)})";
        return new StudyComparison(a.Model, a.Role, a.Source, a.Shots, a.Corruption, a.Severity, a.LabelMap, a.Prompt, b.Prompt,
            d.Mean, d.Ci95, d.PValue, d.Seeds, d.Resamples, claim, sameSource ? null : b.Source);
    }

    /// <summary>The model of a claim; the source of both prompts is named when it is another model (several sources share models in a rotating study).</summary>
    private static string Where(CellGroupKey k, bool nameSource) =>
        $"{k.Role} {k.Model}" + (nameSource && k.Source != k.Model ? $" with {k.Source}'s prompts" : "")
        + (k.Corruption is null ? "" : $" ({k.Corruption} {k.Severity})") + (k.Shots > 0 ? $" [{k.Shots} shots]" : "");

    /// <summary>A fraction as signed percentage points ("+3.25").</summary>
    internal static string Points(double v) => (v >= 0 ? "+" : "") + (100 * v).ToString("F2", CultureInfo.InvariantCulture);

    private static string P(double p) => p < 0.001 ? p.ToString("0.0e+0", CultureInfo.InvariantCulture) : p.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>The claim lines: one per comparison (significant differences first).</summary>
    public IEnumerable<string> Claims() => Comparisons.OrderBy(c => c.DiffCi95[0] > 0 || c.DiffCi95[1] < 0 ? 0 : 1).Select(c => c.Claim);

    /// <summary>Indented JSON with snake_case names (the results.json schema).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Reads results written by <see cref="ToJson"/>.</summary>
    public static StudyResults FromJson(string json) =>
        JsonSerializer.Deserialize<StudyResults>(json, JsonOptions) ?? throw new InvalidDataException("results.json is empty");
}
