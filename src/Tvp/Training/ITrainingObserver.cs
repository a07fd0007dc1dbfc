namespace Tvp.Training;

/// <summary>One logged training step.</summary>
/// <param name="Step">Global step (1-based, after the update).</param>
/// <param name="TotalSteps">Steps in the run.</param>
/// <param name="Epoch">Epoch (1-based).</param>
/// <param name="Loss">Total objective L = task + λ_fca·FCA − λ_tse·S.</param>
/// <param name="Task">Task loss.</param>
/// <param name="Fca">FCA loss (0 when off).</param>
/// <param name="Tse">TSE similarity S (0 when off).</param>
/// <param name="Lr">Learning rate used for this step.</param>
/// <param name="ImagesPerSecond">Training throughput since the run (re)started.</param>
/// <param name="Elapsed">Wall time since the run (re)started.</param>
public sealed record TrainingStep(long Step, long TotalSteps, int Epoch, double Loss, double Task, double Fca, double Tse,
    double Lr, double ImagesPerSecond, TimeSpan Elapsed);

/// <summary>Receives training progress (the CLI draws progress bars from it; the library never prints).</summary>
public interface ITrainingObserver
{
    /// <summary>After every step.</summary>
    void OnStep(TrainingStep step);

    /// <summary>After a validation pass.</summary>
    void OnValidation(long step, double top1, bool improved);

    /// <summary>A message worth showing (warnings, resume notes).</summary>
    void OnMessage(string message);
}

/// <summary>An observer that ignores everything.</summary>
public sealed class SilentObserver : ITrainingObserver
{
    /// <inheritdoc />
    public void OnStep(TrainingStep step) { }
    /// <inheritdoc />
    public void OnValidation(long step, double top1, bool improved) { }
    /// <inheritdoc />
    public void OnMessage(string message) { }
}
