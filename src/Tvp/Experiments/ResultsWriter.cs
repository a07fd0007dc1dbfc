using System.Globalization;
using System.Text;
using System.Text.Json;
using Tvp.IO;

namespace Tvp.Experiments;

/// <summary>Writes results.json, results.csv and results.md into a run folder (results.json last: its presence marks a completed run).</summary>
internal static class ResultsWriter
{
    /// <summary>The JSON object printed by <c>--json</c> and stored as results.json.</summary>
    public static object JsonObject(TransferOutcome o) => new
    {
        run_dir = o.RunDir,
        results = o.Results.Select(r => new
        {
            model = r.Model,
            role = r.Role,
            top1_no_prompt = r.Top1NoPrompt,
            top1_prompt = r.Top1Prompt,
            top5_no_prompt = r.Top5NoPrompt,
            top5_prompt = r.Top5Prompt,
            n_test = r.NTest,
        }),
        matrix = o.Matrix.ToJsonObject(),
        training = o.Training is null ? null : new
        {
            steps = o.Training.Steps,
            best_validation_top1 = o.Training.BestValidationTop1,
            best_step = o.Training.BestStep,
            wall_s = o.Training.WallTime.TotalSeconds,
            images_per_s = o.Training.ImagesPerSecond,
        },
        wall_s = o.WallTime.TotalSeconds,
        eval_images_per_s = o.EvalImagesPerSecond,
    };

    /// <summary>Writes the three files.</summary>
    public static void Write(RunFolder run, TransferOutcome o)
    {
        AtomicFile.WriteAllText(run.File("results.csv"), o.Matrix.ToCsv());
        AtomicFile.WriteAllText(run.File("results.md"), Markdown(o));
        AtomicFile.WriteAllText(run.ResultsPath, JsonSerializer.Serialize(JsonObject(o), new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>A Markdown summary: per-model table and the transfer matrix.</summary>
    public static string Markdown(TransferOutcome o)
    {
        static string P(double v) => (100 * v).ToString("F2", CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.AppendLine($"# TVP run {Path.GetFileName(o.RunDir)}").AppendLine();
        sb.AppendLine("| model | role | top-1 no prompt | top-1 prompt | gain | n test |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|");
        foreach (var r in o.Results)
            sb.AppendLine($"| {r.Model} | {r.Role} | {P(r.Top1NoPrompt)} | {P(r.Top1Prompt)} | {(r.Top1Prompt >= r.Top1NoPrompt ? "+" : "")}{P(r.Top1Prompt - r.Top1NoPrompt)} | {r.NTest} |");
        sb.AppendLine().AppendLine("## Transfer matrix (top-1 %, gain over no prompt)").AppendLine().Append(o.Matrix.ToMarkdown()).AppendLine();
        if (o.Training is { } t)
            sb.AppendLine($"Training: {t.Steps} steps, {t.WallTime.TotalSeconds:F1} s, {t.ImagesPerSecond:F1} images/s; kept prompt from step {t.BestStep}" +
                          (t.BestValidationTop1 is double v ? $" (validation top-1 {P(v)}%)" : "") + ".");
        sb.AppendLine($"Wall time {o.WallTime.TotalSeconds:F1} s; evaluation {o.EvalImagesPerSecond:F1} images/s (per model and prompt).");
        return sb.ToString();
    }
}
