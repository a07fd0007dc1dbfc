using Tvp.Prompts;

namespace Tvp.Training;

/// <summary>
/// Work the trainer runs at the start of every epoch with the current prompt — iterative label mapping (ILM)
/// recomputes a classifier's label mapping on the prompted training images here. The hook's state is stored in
/// the run's checkpoint, so a resumed run continues with the state of its epoch instead of recomputing it from a
/// later prompt.
/// </summary>
public interface IEpochStartHook
{
    /// <summary>Runs at the start of epoch <paramref name="epoch"/> (0-based); returns the state to checkpoint.</summary>
    string OnEpochStart(int epoch, VisualPrompt prompt, CancellationToken cancel);

    /// <summary>Restores a state returned by <see cref="OnEpochStart"/> (resume).</summary>
    void Restore(string state);
}
