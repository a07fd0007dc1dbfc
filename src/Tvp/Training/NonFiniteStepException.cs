using System.Globalization;

namespace Tvp.Training;

/// <summary>A training step produced a non-finite value; it names the step and each loss term.</summary>
public sealed class NonFiniteStepException : Exception
{
    /// <summary>Creates the exception for step <paramref name="step"/> (1-based).</summary>
    public NonFiniteStepException(long step, string what, double loss, double task, double fca, double tse)
        : base(string.Create(CultureInfo.InvariantCulture,
            $"step {step}: {what} (loss {loss:G6}, task {task:G6}, fca {fca:G6}, tse {tse:G6})")) => Step = step;

    /// <summary>The 1-based step.</summary>
    public long Step { get; }
}
