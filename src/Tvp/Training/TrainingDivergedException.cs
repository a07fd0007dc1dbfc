namespace Tvp.Training;

/// <summary>
/// Training diverged (<c>--on-nan stop</c>): the message names the step, the loss terms and what was kept. The
/// trainer's prompt holds the best prompt when this is thrown; the checkpoint on disk is the last finite one.
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException(string message, NonFiniteStepException inner) : base(message, inner) { }
}
