using System.Diagnostics;
using Spectre.Console;
using Tvp.Experiments;
using Tvp.Training;

namespace Tvp.Cli;

/// <summary>
/// Draws experiment progress on stderr: Spectre.Console bars on a terminal (step, loss terms, images/s, ETA),
/// plain periodic lines when stderr is redirected (CI logs), nothing with --quiet. stdout stays clean for --json.
/// </summary>
internal static class ProgressReporter
{
    public static T Run<T>(bool quiet, Func<IExperimentProgress, T> body)
    {
        if (quiet) return body(new SilentProgress());
        var err = CliContext.Current.ErrorConsole;
        if (!CliContext.Current.Interactive || !err.Profile.Capabilities.Interactive) return body(new LineProgress());
        T result = default!;
        err.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                     new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx => { result = body(new SpectreProgress(ctx)); });
        return result;
    }

    private static string Describe(TrainingStep s) =>
        $"step {s.Step}/{s.TotalSteps} ep {s.Epoch} loss {s.Loss:F4} task {s.Task:F4} fca {s.Fca:F4} tse {s.Tse:F3} lr {s.Lr:F3} {s.ImagesPerSecond:F1} img/s";

    private sealed class SpectreProgress : IExperimentProgress
    {
        private readonly ProgressContext _ctx;
        private ProgressTask? _task;
        private string _phase = "";

        public SpectreProgress(ProgressContext ctx) => _ctx = ctx;

        public IProgress<int> Begin(string phase, int total)
        {
            _phase = phase;
            _task = _ctx.AddTask(Markup.Escape(phase), maxValue: Math.Max(1, total));
            var t = _task;
            return new Progress(v => t.Value = v);
        }

        public void End()
        {
            if (_task is not null) { _task.Value = _task.MaxValue; _task.StopTask(); }
            _task = null;
        }

        public void OnStep(TrainingStep step)
        {
            if (_task is null) return;
            _task.Value = step.Step;
            _task.Description = Markup.Escape($"{_phase}: {Describe(step)}");
        }

        public void OnValidation(long step, double top1, bool improved) =>
            CliContext.Current.ErrorConsole.MarkupLine(Markup.Escape($"  validation at step {step}: top-1 {100 * top1:F2}%{(improved ? " (best so far, kept)" : "")}"));

        public void OnMessage(string message) => CliContext.Current.ErrorConsole.MarkupLine("[grey]" + Markup.Escape(message) + "[/]");
    }

    private sealed class LineProgress : IExperimentProgress
    {
        private readonly Stopwatch _clock = new();
        private string _phase = "";
        private int _total;
        private double _lastPrint = -1e9;

        public IProgress<int> Begin(string phase, int total)
        {
            _phase = phase; _total = Math.Max(1, total); _clock.Restart(); _lastPrint = -1e9;
            CliContext.Err.WriteLine($"[{phase}] start ({total})");
            return new Progress(v => Tick(v, null));
        }

        private void Tick(long done, string? extra)
        {
            double t = _clock.Elapsed.TotalSeconds;
            if (t - _lastPrint < 10 && done < _total) return;
            _lastPrint = t;
            double eta = done > 0 ? t * (_total - done) / done : 0;
            CliContext.Err.WriteLine($"[{_phase}] {done}/{_total} ({100.0 * done / _total:F0}%) {t:F0}s elapsed, ETA {eta:F0}s{(extra is null ? "" : " " + extra)}");
        }

        public void End() => CliContext.Err.WriteLine($"[{_phase}] done in {_clock.Elapsed.TotalSeconds:F1}s");
        public void OnStep(TrainingStep step) => Tick(step.Step, Describe(step));
        public void OnValidation(long step, double top1, bool improved) =>
            CliContext.Err.WriteLine($"  validation at step {step}: top-1 {100 * top1:F2}%{(improved ? " (best so far, kept)" : "")}");
        public void OnMessage(string message) => CliContext.Err.WriteLine(message);
    }

    private sealed class Progress : IProgress<int>
    {
        private readonly Action<int> _report;
        public Progress(Action<int> report) => _report = report;
        public void Report(int value) => _report(value);
    }
}
