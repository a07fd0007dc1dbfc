namespace Tvp.Training;

/// <summary>
/// Training was cancelled (SIGINT/SIGTERM): a final checkpoint holds every completed step, and the message says how
/// to resume.
/// </summary>
public sealed class TrainingInterruptedException : OperationCanceledException
{
    /// <summary>Creates the exception after <paramref name="step"/> completed steps of <paramref name="total"/>.</summary>
    public TrainingInterruptedException(long step, long total, string? checkpointPath)
        : base(checkpointPath is null
            ? $"interrupted at step {step} of {total} (no checkpoint path: nothing saved)"
            : $"interrupted at step {step} of {total}; checkpoint written to {checkpointPath}; resume with the same command and --out {Path.GetDirectoryName(Path.GetFullPath(checkpointPath))} --resume")
        => Step = step;

    /// <summary>Completed steps.</summary>
    public long Step { get; }
}
