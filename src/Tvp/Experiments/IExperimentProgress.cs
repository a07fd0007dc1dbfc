using Tvp.Training;

namespace Tvp.Experiments;

/// <summary>Progress of a whole experiment: phases with a known amount of work, plus training steps.</summary>
public interface IExperimentProgress : ITrainingObserver
{
    /// <summary>Starts a phase of <paramref name="total"/> units (images, steps); report units done through the returned progress.</summary>
    IProgress<int> Begin(string phase, int total);

    /// <summary>Ends the current phase.</summary>
    void End();
}

/// <summary>Ignores all progress.</summary>
public sealed class SilentProgress : IExperimentProgress
{
    private sealed class Nothing : IProgress<int> { public void Report(int value) { } }
    /// <inheritdoc />
    public IProgress<int> Begin(string phase, int total) => new Nothing();
    /// <inheritdoc />
    public void End() { }
    /// <inheritdoc />
    public void OnStep(TrainingStep step) { }
    /// <inheritdoc />
    public void OnValidation(long step, double top1, bool improved) { }
    /// <inheritdoc />
    public void OnMessage(string message) { }
}
