using System.Text.Json;
using Tvp.Training;

namespace Tvp.Experiments.Report;

/// <summary>One logged training step of metrics.jsonl.</summary>
internal sealed record TrainingPoint(long Step, int Epoch, double Loss, double Task, double Fca, double Tse, double Lr, double ImagesPerSecond, double ElapsedSeconds);

/// <summary>One validation line of metrics.jsonl.</summary>
internal sealed record ValidationPoint(long Step, double Top1, bool Best);

/// <summary>
/// The lines of a metrics.jsonl written by the prompt trainer: step lines {step, epoch, loss, task, fca, tse, lr,
/// images_per_s, elapsed_s} and validation lines {step, val_top1, best} (<see cref="MetricsLine"/>). Lines that are not
/// metrics objects (a line cut short by a crash, a member of the wrong type) are counted and skipped.
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
                var m = MetricsLine.Parse(line);
                if (m.Step is not long step) { skipped++; continue; }
                if (m.ValTop1 is double top1)
                    vals.Add(new ValidationPoint(step, top1, m.Best ?? false));
                else
                    steps.Add(new TrainingPoint(step, m.Epoch ?? 0, m.Loss ?? double.NaN, m.Task ?? double.NaN, m.Fca ?? 0, m.Tse ?? 0,
                        m.Lr ?? double.NaN, m.ImagesPerS ?? double.NaN, m.ElapsedS ?? double.NaN));
            }
            catch (JsonException)
            {
                skipped++;
            }
        }
        return new MetricsLog(path, steps, vals, skipped);
    }
}
