using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Tvp.Evaluation;

/// <summary>
/// Rows: prompts (one per source, plus "none"); columns: models; cells: top-1 (and top-5) and the gain over
/// the same model without a prompt. Written as JSON, CSV and a Markdown table.
/// </summary>
public sealed class TransferMatrix
{
    private readonly Dictionary<(string Prompt, string Model), EvaluationResult> _cells = new();

    /// <summary>Prompt names (rows), "none" first.</summary>
    public IReadOnlyList<string> Prompts { get; }

    /// <summary>Model names (columns).</summary>
    public IReadOnlyList<string> Models { get; }

    /// <summary>Role of each model: source or target.</summary>
    public IReadOnlyDictionary<string, string> Roles { get; }

    /// <summary>Builds the matrix from evaluation results; <paramref name="roles"/> maps model → source/target.</summary>
    public TransferMatrix(IEnumerable<EvaluationResult> results, IReadOnlyDictionary<string, string> roles)
    {
        foreach (var r in results) _cells[(r.Prompt, r.Model)] = r;
        Prompts = _cells.Keys.Select(k => k.Prompt).Distinct().OrderBy(p => p == "none" ? 0 : 1).ToArray();
        Models = _cells.Keys.Select(k => k.Model).Distinct().ToArray();
        Roles = roles;
    }

    /// <summary>The cell, or null.</summary>
    public EvaluationResult? Cell(string prompt, string model) => _cells.TryGetValue((prompt, model), out var r) ? r : null;

    /// <summary>Top-1 gain of <paramref name="prompt"/> over no prompt on <paramref name="model"/>, or null.</summary>
    public double? Gain(string prompt, string model) =>
        Cell(prompt, model) is { } c && Cell("none", model) is { } z ? c.Top1 - z.Top1 : null;

    private static string Pct(double v) => (100 * v).ToString("F2", CultureInfo.InvariantCulture);
    private static string Signed(double v) => (v >= 0 ? "+" : "") + (100 * v).ToString("F2", CultureInfo.InvariantCulture);

    /// <summary>Markdown: one row per prompt, one column per model, "top-1 (gain)".</summary>
    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.Append("| prompt \\ model |");
        foreach (var m in Models) sb.Append($" {m} ({(Roles.TryGetValue(m, out var r) ? r : "target")}) |");
        sb.AppendLine().Append("|---|").Append(string.Concat(Models.Select(_ => "---:|"))).AppendLine();
        foreach (var p in Prompts)
        {
            sb.Append($"| {p} |");
            foreach (var m in Models)
            {
                var c = Cell(p, m);
                var g = p == "none" ? null : Gain(p, m);
                sb.Append(c is null ? " – |" : $" {Pct(c.Top1)}{(g is double gg ? $" ({Signed(gg)})" : "")} |");
            }
            sb.AppendLine();
        }
        return sb.ToString();
    }

    /// <summary>CSV: prompt,model,role,top1,top5,gain,n.</summary>
    public string ToCsv()
    {
        var sb = new StringBuilder("prompt,model,role,top1,top5,gain_top1,n\n");
        foreach (var p in Prompts)
            foreach (var m in Models)
                if (Cell(p, m) is { } c)
                    sb.AppendLine(string.Join(",", Quote(p), Quote(m), Roles.TryGetValue(m, out var r) ? r : "target",
                        c.Top1.ToString("R", CultureInfo.InvariantCulture),
                        c.Top5?.ToString("R", CultureInfo.InvariantCulture) ?? "",
                        Gain(p, m)?.ToString("R", CultureInfo.InvariantCulture) ?? "", c.Count));
        return sb.ToString();
    }

    private static string Quote(string s) => s.Contains(',') || s.Contains('"') ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;

    /// <summary>A JSON-serialisable view: {prompts, models, roles, cells:[{prompt, model, top1, top5, gain, n}]}.</summary>
    public object ToJsonObject() => new
    {
        prompts = Prompts,
        models = Models,
        roles = Roles,
        cells = Prompts.SelectMany(p => Models.Select(m => (p, m))).Where(t => Cell(t.p, t.m) is not null).Select(t => new
        {
            prompt = t.p,
            model = t.m,
            top1 = Cell(t.p, t.m)!.Top1,
            top5 = Cell(t.p, t.m)!.Top5,
            gain = Gain(t.p, t.m),
            n = Cell(t.p, t.m)!.Count,
        }),
    };

    /// <summary>Indented JSON of <see cref="ToJsonObject"/>.</summary>
    public string ToJson() => JsonSerializer.Serialize(ToJsonObject(), new JsonSerializerOptions { WriteIndented = true });
}
