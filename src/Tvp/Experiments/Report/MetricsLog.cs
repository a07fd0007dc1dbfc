using System.Text.Json;

namespace Tvp.Experiments.Report;

/// <summary>One logged training step of metrics.jsonl.</summary>
internal sealed record TrainingPoint(long Step, int Epoch, double Loss, double Task, double Fca, double Tse, double Lr, double ImagesPerSecond, double ElapsedSeconds);

/// <summary>One validation line of metrics.jsonl.</summary>
internal sealed record ValidationPoint(long Step, double Top1, bool Best);

/// <summary>
/// The lines of a metrics.jsonl written by the prompt trainer: step lines {step, epoch, loss, task, fca, tse, lr,
/// images_per_s, elapsed_s} and validation lines {step, val_top1, best}. Lines that are not JSON objects (a line
/// cut short by a crash) are counted and skipped.
/// </summary>
internal sealed class MetricsLog
{
    /// <summary>The file read.</summary>
    public string Path { get; }
    /// <summary>Training steps in file order.</summary>
    public IReadOnlyList<TrainingPoint> Steps { get; }
    /// <summary>Validation results in file order.</summary>
    public IReadOnlyList<ValidationPoint> Validations { get; }
    /// <summary>Lines that could not be read.</summary>
    public int SkippedLines { get; }

    private MetricsLog(string path, IReadOnlyList<TrainingPoint> steps, IReadOnlyList<ValidationPoint> validations, int skipped)
    {
        Path = path;
        Steps = steps;
        Validations = validations;
        SkippedLines = skipped;
    }

    /// <summary>True when the log holds nothing to plot.</summary>
    public bool IsEmpty => Steps.Count == 0 && Validations.Count == 0;

    /// <summary>Reads <paramref name="path"/>.</summary>
    public static MetricsLog Read(string path)
    {
        var steps = new List<TrainingPoint>();
        var vals = new List<ValidationPoint>();
        int skipped = 0;
        foreach (var raw in File.ReadLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var o = doc.RootElement;
                if (o.ValueKind != JsonValueKind.Object || Json.Number(o, "step") is not double step) { skipped++; continue; }
                if (Json.Number(o, "val_top1") is double top1)
                    vals.Add(new ValidationPoint((long)step, top1, Json.Bool(o, "best") ?? false));
                else
                    steps.Add(new TrainingPoint((long)step, (int)(Json.Number(o, "epoch") ?? 0), Json.Number(o, "loss") ?? double.NaN,
                        Json.Number(o, "task") ?? double.NaN, Json.Number(o, "fca") ?? 0, Json.Number(o, "tse") ?? 0, Json.Number(o, "lr") ?? double.NaN,
                        Json.Number(o, "images_per_s") ?? double.NaN, Json.Number(o, "elapsed_s") ?? double.NaN));
            }
            catch (JsonException)
            {
                skipped++;
            }
        }
        return new MetricsLog(path, steps, vals, skipped);
    }
}
