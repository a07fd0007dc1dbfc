using System.Globalization;
using System.Net;
using System.Text;
using Tvp.IO;

namespace Tvp.Experiments.Study;

/// <summary>
/// report.html of a study: a self-contained page (inline CSS, figures by relative path under figures/) with the
/// claim lines, one table + gain-bar figure per condition (source, shots, corruption, severity, label mapping),
/// a Pareto plot where a condition has more than two prompt methods, and robustness heat maps where a study
/// spans several corruptions or severities.
/// </summary>
internal static class StudyReport
{
    /// <summary>At most this many condition panels get a figure (the tables are always complete).</summary>
    private const int MaxFigures = 40;

    private static string E(string s) => WebUtility.HtmlEncode(s);
    private static string Pct(double v) => (100 * v).ToString("F2", CultureInfo.InvariantCulture);
    private static string Ci(double[]? ci) => ci is null ? "–" : $"[{Pct(ci[0])}, {Pct(ci[1])}]";

    private readonly record struct Panel(string Source, int Shots, string? Corruption, int Severity, string LabelMap)
    {
        public string Title => $"source {Source}" + (Corruption is null ? ", clean" : $", {Corruption} {Severity}") + (Shots > 0 ? $", {Shots} shots" : "") + $", {LabelMap} labels";
    }

    /// <summary>Writes report.html and its figures into <paramref name="dir"/>.</summary>
    public static void Write(string dir, StudyResults results)
    {
        var figures = Path.Combine(dir, "figures");
        Directory.CreateDirectory(figures);
        var b = new StringBuilder();
        b.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>TVP study ").Append(E(results.Study))
         .Append("</title>\n<style>body{font-family:sans-serif;max-width:1200px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:1em 0}")
         .Append("td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}td.l{text-align:left}img{max-width:100%}.sig{font-weight:bold}</style>\n</head>\n<body>\n");
        b.Append("<h1>TVP study ").Append(E(results.Study)).Append("</h1>\n");
        b.Append("<p>Top-1 % on the test images; gain = top-1 with the prompt − top-1 without, in points. Intervals: 95 % Student t over seeds. ")
         .Append("Differences: paired bootstrap over seeds × test images (95 % percentile interval, two-sided p). A claim is printed only when the interval of the difference excludes 0.</p>\n");
        b.Append("<h2>Claims</h2>\n<ul>\n");
        foreach (var c in results.Comparisons)
            b.Append(c.DiffCi95[0] > 0 || c.DiffCi95[1] < 0 ? "<li class=\"sig\">" : "<li>").Append(E(c.Claim)).Append("</li>\n");
        b.Append("</ul>\n");
        if (results.Selected.Count > 0)
        {
            b.Append("<h2>Chosen on validation alone</h2>\n<table>\n<tr><th>source</th><th>condition</th><th>chosen</th><th>λ_fca</th><th>λ_tse</th><th>validation top-1</th><th>source gain</th><th>mean target gain</th></tr>\n");
            foreach (var s in results.Selected)
                b.Append("<tr><td class=\"l\">").Append(E(s.Source)).Append("</td><td class=\"l\">").Append(E(new Panel(s.Source, s.Shots, s.Corruption, s.Severity, s.LabelMap).Title))
                 .Append("</td><td class=\"l\">").Append(E(s.Prompt)).Append("</td><td>").Append(s.LambdaFca.ToString("R", CultureInfo.InvariantCulture))
                 .Append("</td><td>").Append(s.LambdaTse.ToString("R", CultureInfo.InvariantCulture)).Append("</td><td>").Append(Pct(s.ValidationTop1Mean))
                 .Append("</td><td>").Append(StudyResults.Points(s.SourceGainMean)).Append("</td><td>").Append(s.TargetGainMean is double t ? StudyResults.Points(t) : "–").Append("</td></tr>\n");
            b.Append("</table>\n");
        }

        var panels = results.Cells.Select(c => new Panel(c.Source, c.Shots, c.Corruption, c.Severity, c.LabelMap)).Distinct().ToArray();
        for (int p = 0; p < panels.Length; p++)
        {
            var panel = panels[p];
            var cells = results.Cells.Where(c => new Panel(c.Source, c.Shots, c.Corruption, c.Severity, c.LabelMap) == panel).ToArray();
            b.Append("<h2>").Append(E(panel.Title)).Append("</h2>\n");
            if (p < MaxFigures)
            {
                var file = $"gain-{p + 1}.png";
                StudyFigures.GainBars(cells, panel.Title, Path.Combine(figures, file));
                b.Append("<img src=\"figures/").Append(file).Append("\" alt=\"gain with 95 % CI\">\n");
                var pareto = ParetoPoints(cells);
                if (pareto.Count > 2)
                {
                    var pf = $"pareto-{p + 1}.png";
                    StudyFigures.Pareto(pareto, "source gain vs mean target gain: " + panel.Title, Path.Combine(figures, pf));
                    b.Append("<img src=\"figures/").Append(pf).Append("\" alt=\"Pareto plot\">\n");
                }
            }
            b.Append("<table>\n<tr><th>model</th><th>role</th><th>prompt</th><th>λ_fca</th><th>λ_tse</th><th>FCA on</th><th>seeds</th><th>top-1 mean ± std</th><th>95 % CI</th><th>gain</th><th>gain 95 % CI</th><th>n_test</th></tr>\n");
            foreach (var c in cells)
                b.Append("<tr><td class=\"l\">").Append(E(c.Model)).Append("</td><td class=\"l\">").Append(c.Role).Append("</td><td class=\"l\">").Append(E(c.Prompt))
                 .Append("</td><td>").Append(c.LambdaFca.ToString("R", CultureInfo.InvariantCulture)).Append("</td><td>").Append(c.LambdaTse.ToString("R", CultureInfo.InvariantCulture))
                 .Append("</td><td>").Append(c.FcaFeatures).Append("</td><td>").Append(c.Seeds.Length).Append("</td><td>").Append(Pct(c.Top1Mean)).Append(" ± ").Append(Pct(c.Top1Std))
                 .Append("</td><td>").Append(Ci(c.Ci95)).Append("</td><td>").Append(StudyResults.Points(c.GainMean)).Append("</td><td>").Append(Ci(c.GainCi95))
                 .Append("</td><td>").Append(c.NTest).Append("</td></tr>\n");
            b.Append("</table>\n");
        }
        Robustness(results, figures, b);
        b.Append("</body>\n</html>\n");
        AtomicFile.WriteAllText(Path.Combine(dir, "report.html"), b.ToString());
    }

    private static List<(string Prompt, double SourceGain, double TargetGain)> ParetoPoints(IReadOnlyList<StudyCell> cells)
    {
        var points = new List<(string, double, double)>();
        foreach (var prompt in cells.Where(c => c.Prompt != StudyResults.NoPrompt).Select(c => c.Prompt).Distinct())
        {
            var mine = cells.Where(c => c.Prompt == prompt).ToArray();
            var source = mine.Where(c => c.Role == "source").Select(c => c.GainMean).DefaultIfEmpty(double.NaN).Average();
            var targets = mine.Where(c => c.Role == "target").Select(c => c.GainMean).ToArray();
            if (!double.IsNaN(source) && targets.Length > 0) points.Add((prompt, source, targets.Average()));
        }
        return points;
    }

    private static void Robustness(StudyResults results, string figures, StringBuilder b)
    {
        var conditions = results.Cells.Select(c => (c.Corruption, c.Severity)).Distinct().Where(c => c.Corruption is not null).ToArray();
        if (conditions.Length < 2) return;
        var corruptions = conditions.Select(c => c.Corruption!).Distinct().ToArray();
        var severities = conditions.Select(c => c.Severity).Distinct().OrderBy(s => s).ToArray();
        b.Append("<h2>Robustness</h2>\n");
        int k = 0;
        foreach (var (source, prompt) in results.Cells.Where(c => c.Prompt != StudyResults.NoPrompt).Select(c => (c.Source, c.Prompt)).Distinct())
            foreach (var role in new[] { "source", "target" })
            {
                var cells = results.Cells.Where(c => c.Source == source && c.Prompt == prompt && c.Role == role).ToArray();
                if (cells.Length == 0 || k >= MaxFigures) continue;
                var file = $"robustness-{++k}.png";
                StudyFigures.Heatmap(corruptions, severities, (c, s) =>
                {
                    var g = cells.Where(x => x.Corruption == c && x.Severity == s).Select(x => x.GainMean).ToArray();
                    return g.Length == 0 ? null : g.Average();
                }, $"{prompt} from {source}: mean {role} gain", Path.Combine(figures, file));
                b.Append("<img src=\"figures/").Append(file).Append("\" alt=\"robustness heat map\">\n");
            }
    }
}
