using System.Globalization;
using System.Net;
using System.Text;
using Tvp.Prompts;

namespace Tvp.Experiments.Report;

/// <summary>A figure of the report: file name under figures/ and its caption.</summary>
internal sealed record Figure(string File, string Caption);

/// <summary>The report's prompt section for one prompt file.</summary>
internal sealed record PromptSection(string FileName, PromptSummary? Summary, string? Error);

/// <summary>The training section for one metrics log.</summary>
internal sealed record TrainingSection(MetricsLog Log, string FileName, Figure? Loss, Figure? Validation);

/// <summary>
/// Builds report.html: one self-contained page (inline CSS, no scripts, figures by relative path) with the run
/// summary, accuracy table, transfer matrices, prompts, training curves, extra tables and the options.
/// </summary>
internal sealed class ReportHtml
{
    /// <summary>The options shown in the summary, in order (snake_case names of options.json).</summary>
    private static readonly string[] KeyOptions =
    {
        "source", "targets", "data", "guide", "label_map", "prompt_shape", "prompt_size", "image_size", "canvas_size",
        "optimizer", "lr", "schedule", "epochs", "batch_size", "fca", "tse", "fca_features", "shots", "train_fraction",
        "train_limit", "test_limit", "validation_fraction", "corruption", "severity", "seed", "device",
    };

    private readonly StringBuilder _b = new();

    private static string E(string s) => WebUtility.HtmlEncode(s);
    private static string Pct(double? v) => v is double d ? (100 * d).ToString("F2", CultureInfo.InvariantCulture) : "–";
    private static string Signed(double? v) => v is double d ? (d >= 0 ? "+" : "−") + Math.Abs(100 * d).ToString("F2", CultureInfo.InvariantCulture) : "–";
    private static string Num(double v, string f = "F1") => v.ToString(f, CultureInfo.InvariantCulture);
    private static string GainClass(double? v) => v is double d ? d > 0 ? "up" : d < 0 ? "down" : "" : "";

    /// <summary>Seconds as "12.3 s" or "4 min 05 s" or "1 h 02 min".</summary>
    internal static string Duration(double seconds)
    {
        if (seconds < 60) return Num(seconds) + " s";
        var t = TimeSpan.FromSeconds(seconds);
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours} h {t.Minutes:00} min" : $"{t.Minutes} min {t.Seconds:00} s";
    }

    /// <summary>The whole page.</summary>
    public string Build(RunContents run, IReadOnlyList<Figure> matrixFigures, IReadOnlyList<PromptSection> prompts, IReadOnlyList<TrainingSection> training)
    {
        var title = $"TVP run {run.Name}";
        _b.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
          .Append("<title>").Append(E(title)).Append("</title>\n<style>\n").Append(Css).Append("</style>\n</head>\n<body>\n<main>\n");
        _b.Append("<h1>").Append(E(title)).Append("</h1>\n");
        _b.Append("<p class=\"sub\">").Append(E(run.Dir)).Append(" · report written ")
          .Append(E(DateTime.Now.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture))).Append(" by tvp ").Append(E(TvpVersion.Value)).Append("</p>\n");
        if (run.Results is null)
            _b.Append("<p class=\"note\">No results.json: this run has not finished (or was stopped). Only what it wrote so far is shown.</p>\n");
        Summary(run);
        if (run.Results is { } r)
        {
            if (r.Models.Count > 0) AccuracyTable(r.Models);
            for (int i = 0; i < r.Matrices.Count; i++) Matrix(r.Matrices[i], i < matrixFigures.Count ? matrixFigures[i] : null, r.Matrices.Count > 1 ? i + 1 : null);
        }
        foreach (var p in prompts) Prompt(p, prompts.Count > 1);
        foreach (var t in training) Training(t, training.Count > 1);
        if (run.Results is { } rr) foreach (var t in rr.ExtraTables) Extra(t);
        if (run.Options is { } o) Options(o);
        _b.Append("</main>\n</body>\n</html>\n");
        return _b.ToString();
    }

    private void Summary(RunContents run)
    {
        var items = new List<(string Key, string Value)>();
        if (run.Options is { } o)
        {
            var j = o.Summary;
            if (j.Source is { Length: > 0 } src) items.Add(("source", src));
            var targets = j.Targets ?? [];
            if (targets.Count > 0) items.Add(("targets", string.Join(", ", targets)));
            if (j.Data is { Length: > 0 } data) items.Add(("data", data));
            var objective = new List<string>();
            if (j.Fca is double fca) objective.Add($"λ_fca = {fca.ToString("G", CultureInfo.InvariantCulture)}");
            if (j.Tse is double tse) objective.Add($"λ_tse = {tse.ToString("G", CultureInfo.InvariantCulture)}" + (j.Guide is { Length: > 0 } ? "" : " (no guide: TSE off)"));
            if (objective.Count > 0) items.Add(("objective", string.Join(", ", objective)));
        }
        if (run.Results?.WallSeconds is double wall) items.Add(("wall time", Duration(wall)));
        var training = run.Results?.Training;
        var lastStep = run.Metrics.Count > 0 ? run.Metrics[0].Log.Steps.LastOrDefault() : null;
        if (training is not null)
        {
            var parts = new List<string>();
            if (training.Steps is long s) parts.Add($"{s} steps");
            if (training.WallSeconds is double tw) parts.Add(Duration(tw));
            if (training.ImagesPerSecond is double ips) parts.Add($"{Num(ips)} images/s");
            if (parts.Count > 0) items.Add(("training", string.Join(", ", parts)));
            if (training.BestStep is long bs)
                items.Add(("kept prompt", $"step {bs}" + (training.BestValidationTop1 is double bv ? $" (validation top-1 {Pct(bv)} %)" : "")));
        }
        else if (lastStep is not null)
            items.Add(("training (so far)", $"{lastStep.Step} steps, {Duration(lastStep.ElapsedSeconds)}, {Num(lastStep.ImagesPerSecond)} images/s"));
        if (run.Results?.EvalImagesPerSecond is double eips) items.Add(("evaluation", $"{Num(eips)} images/s (per model and prompt)"));
        if (items.Count == 0) return;
        _b.Append("<dl class=\"summary\">\n");
        foreach (var (k, v) in items) _b.Append("<div><dt>").Append(E(k)).Append("</dt><dd>").Append(E(v)).Append("</dd></div>\n");
        _b.Append("</dl>\n");
    }

    private void AccuracyTable(IReadOnlyList<ModelRow> models)
    {
        bool top5 = models.Any(m => m.Top5NoPrompt is not null || m.Top5Prompt is not null);
        _b.Append("<h2>Accuracy</h2>\n<table class=\"num\" id=\"accuracy\">\n<thead><tr><th>model</th><th>role</th><th>top-1 no prompt</th><th>top-1 prompt</th><th>gain</th>");
        if (top5) _b.Append("<th>top-5 no prompt</th><th>top-5 prompt</th><th>gain</th>");
        _b.Append("<th>n test</th></tr></thead>\n<tbody>\n");
        foreach (var m in models)
        {
            double? gain = m.Top1Prompt - m.Top1NoPrompt;
            _b.Append("<tr><td>").Append(E(m.Model)).Append("</td><td><span class=\"role ").Append(E(m.Role)).Append("\">").Append(E(m.Role)).Append("</span></td><td>")
              .Append(Pct(m.Top1NoPrompt)).Append("</td><td>").Append(Pct(m.Top1Prompt)).Append("</td><td class=\"").Append(GainClass(gain)).Append("\">").Append(Signed(gain)).Append("</td>");
            if (top5)
            {
                double? g5 = m.Top5Prompt - m.Top5NoPrompt;
                _b.Append("<td>").Append(Pct(m.Top5NoPrompt)).Append("</td><td>").Append(Pct(m.Top5Prompt)).Append("</td><td class=\"").Append(GainClass(g5)).Append("\">").Append(Signed(g5)).Append("</td>");
            }
            _b.Append("<td>").Append(m.NTest?.ToString(CultureInfo.InvariantCulture) ?? "–").Append("</td></tr>\n");
        }
        _b.Append("</tbody>\n</table>\n<p class=\"caption\">Top-1 / top-5 in %, on the test split; gain = with prompt − without.</p>\n");
    }

    private void Matrix(MatrixView m, Figure? figure, int? number)
    {
        _b.Append("<h2>").Append(E(m.Title ?? "Transfer matrix")).Append(number is int n && m.Title is null ? $" {n}" : "").Append("</h2>\n");
        if (figure is not null) Img(figure, "matrix");
        _b.Append("<table class=\"num matrix\">\n<thead><tr><th>prompt \\ model</th>");
        foreach (var model in m.Models) _b.Append("<th>").Append(E(model)).Append("<br><span class=\"role ").Append(E(m.Role(model))).Append("\">").Append(E(m.Role(model))).Append("</span></th>");
        _b.Append("</tr></thead>\n<tbody>\n");
        foreach (var p in m.Prompts)
        {
            _b.Append("<tr><th>").Append(E(p)).Append("</th>");
            foreach (var model in m.Models)
            {
                var c = m.Cell(p, model);
                _b.Append("<td>");
                if (c is null) _b.Append('–');
                else
                {
                    _b.Append(Pct(c.Top1));
                    if (p != "none" && c.Gain is not null) _b.Append(" <span class=\"").Append(GainClass(c.Gain)).Append("\">(").Append(Signed(c.Gain)).Append(")</span>");
                }
                _b.Append("</td>");
            }
            _b.Append("</tr>\n");
        }
        _b.Append("</tbody>\n</table>\n<p class=\"caption\">Top-1 % of each model (column) with each prompt (row); in brackets the gain over the same model without a prompt.</p>\n");
    }

    private void Prompt(PromptSection p, bool several)
    {
        _b.Append("<h2>Prompt").Append(several ? " " + E(p.FileName) : "").Append("</h2>\n");
        if (p.Summary is not { } s)
        {
            _b.Append("<p class=\"note\">").Append(E($"{p.FileName}: could not be read ({p.Error})")).Append("</p>\n");
            return;
        }
        _b.Append("<div class=\"figs\">\n");
        Img(new Figure(s.PreviewFile, "The prompt δ: values min–max scaled inside its mask, grey outside."), "prompt");
        Img(new Figure(s.OnGreyFile, "The prompt added to a mid-grey canvas (0.5 + δ), as a model sees it on a flat image."), "prompt");
        _b.Append("</div>\n");
        var md = s.Meta;
        var facts = new List<(string, string)> { ("file", p.FileName) };
        if (md.SourceModel.Length > 0) facts.Add(("source model", md.SourceModel));
        if (md.Dataset.Length > 0) facts.Add(("dataset", md.Dataset));
        facts.Add(("shape", $"{md.Shape.Name()}, p = {md.PromptSize}, canvas {md.CanvasSize}×{md.CanvasSize}, image {md.ImageSize}×{md.ImageSize}"));
        facts.Add(("objective", $"λ_fca = {md.Fca.ToString("G", CultureInfo.InvariantCulture)}, λ_tse = {md.Tse.ToString("G", CultureInfo.InvariantCulture)}"));
        facts.Add(("values", $"[{Num(s.Min, "F3")}, {Num(s.Max, "F3")}], ‖δ‖∞ = {Num(s.LInf, "F3")}, ‖δ‖₂ = {Num(s.L2, "F2")}"));
        KeyValues(facts, "facts");
    }

    private void Training(TrainingSection t, bool several)
    {
        _b.Append("<h2>Training").Append(several ? " " + E(t.FileName) : "").Append("</h2>\n");
        if (t.Loss is not null) Img(t.Loss, "curve");
        if (t.Validation is not null) Img(t.Validation, "curve");
        if (t.Log.SkippedLines > 0)
            _b.Append("<p class=\"note\">").Append(E($"{t.FileName}: {t.Log.SkippedLines} unreadable line(s) skipped.")).Append("</p>\n");
    }

    private void Extra(ExtraTable t)
    {
        _b.Append("<h2>").Append(E(t.Title.Length > 0 ? t.Title : "Table")).Append("</h2>\n<table class=\"num\">\n");
        if (t.Columns.Count > 0)
        {
            _b.Append("<thead><tr>");
            foreach (var c in t.Columns) _b.Append("<th>").Append(E(c)).Append("</th>");
            _b.Append("</tr></thead>\n");
        }
        _b.Append("<tbody>\n");
        foreach (var row in t.Rows)
        {
            _b.Append("<tr>");
            foreach (var c in row) _b.Append("<td>").Append(E(c)).Append("</td>");
            _b.Append("</tr>\n");
        }
        _b.Append("</tbody>\n</table>\n");
    }

    private void Options(RunOptionsView o)
    {
        _b.Append("<h2>Options</h2>\n");
        var facts = new List<(string, string)>();
        foreach (var key in KeyOptions)
        {
            if (!o.Values.TryGetValue(key, out var text)) continue;
            bool unset = text.Length == 0 || (key is "shots" or "train_fraction" or "train_limit" or "test_limit" && text == "0")
                         || (key == "severity" && o.Values.GetValueOrDefault("corruption", "").Length == 0);
            if (!unset) facts.Add((key, text));
        }
        KeyValues(facts, "options");
        _b.Append("<details><summary>options.json</summary>\n<pre>").Append(E(o.Indented)).Append("</pre>\n</details>\n");
    }

    private void KeyValues(IEnumerable<(string Key, string Value)> facts, string cls)
    {
        _b.Append("<table class=\"kv ").Append(cls).Append("\">\n<tbody>\n");
        foreach (var (k, v) in facts) _b.Append("<tr><th>").Append(E(k)).Append("</th><td>").Append(E(v)).Append("</td></tr>\n");
        _b.Append("</tbody>\n</table>\n");
    }

    private void Img(Figure f, string cls) =>
        _b.Append("<figure class=\"").Append(cls).Append("\"><img src=\"figures/").Append(Uri.EscapeDataString(f.File)).Append("\" alt=\"").Append(E(f.Caption))
          .Append("\"><figcaption>").Append(E(f.Caption)).Append("</figcaption></figure>\n");

    private const string Css = """
        :root { --ink: #1d2330; --muted: #5d6677; --line: #dfe3ea; --band: #f5f7fa; --up: #1a7f37; --down: #c0392b; --accent: #4e79a7; }
        * { box-sizing: border-box; }
        body { margin: 0; background: #fff; color: var(--ink); font: 15px/1.5 "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; }
        main { max-width: 1040px; margin: 0 auto; padding: 28px 32px 60px; }
        h1 { font-size: 26px; margin: 0 0 2px; }
        h2 { font-size: 19px; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
        .sub { color: var(--muted); font-size: 13px; margin: 0 0 18px; word-break: break-all; }
        .note { background: #fff7e0; border-left: 4px solid #e0a800; padding: 8px 12px; }
        .summary { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 10px; margin: 0; }
        .summary div { background: var(--band); border-radius: 6px; padding: 8px 12px; }
        .summary dt { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
        .summary dd { margin: 2px 0 0; font-weight: 600; word-break: break-word; }
        table { border-collapse: collapse; margin: 8px 0; font-size: 14px; }
        th, td { padding: 5px 12px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
        thead th { background: var(--band); font-weight: 600; border-bottom: 2px solid var(--line); }
        table.num td { text-align: right; font-variant-numeric: tabular-nums; }
        table.num td:first-child { text-align: left; white-space: nowrap; }
        table.matrix th { white-space: nowrap; }
        table.matrix td:first-child { text-align: right; }
        table.kv th { color: var(--muted); font-weight: normal; white-space: nowrap; }
        .up { color: var(--up); font-weight: 600; }
        .down { color: var(--down); font-weight: 600; }
        .role { font-size: 12px; border-radius: 10px; padding: 0 8px; background: var(--band); color: var(--muted); font-weight: normal; }
        .role.source { background: #e3ecf7; color: var(--accent); }
        .caption, figcaption { color: var(--muted); font-size: 13px; }
        figure { margin: 10px 0; }
        figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); }
        .figs { display: flex; flex-wrap: wrap; gap: 20px; }
        .figs figure { flex: 1 1 300px; max-width: 460px; }
        figure.prompt img { image-rendering: pixelated; width: 100%; }
        details { margin: 10px 0; }
        summary { cursor: pointer; color: var(--accent); }
        pre { background: var(--band); padding: 10px 14px; overflow-x: auto; font-size: 13px; }

        """;
}
