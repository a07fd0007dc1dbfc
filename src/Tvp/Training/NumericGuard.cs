using System.Globalization;
using static TorchSharp.torch;

namespace Tvp.Training;

/// <summary>What training does when a step produces a non-finite loss, gradient or prompt value (<c>--on-nan</c>).</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<NanPolicy>))]
public enum NanPolicy
{
    /// <summary>Stop: keep the last finite checkpoint and the best prompt, fail with <see cref="TrainingDivergedException"/>.</summary>
    Stop,
    /// <summary>Skip the batch (the prompt is left as it was before the step) and count the skip in the metrics.</summary>
    Skip,
}

/// <summary>Parses <c>--on-nan</c> values.</summary>
public static class NanPolicies
{
    /// <summary>stop | skip.</summary>
    public static NanPolicy Parse(string s) => s.ToLowerInvariant() switch
    {
        "stop" => NanPolicy.Stop,
        "skip" => NanPolicy.Skip,
        _ => throw new ArgumentException($"--on-nan must be stop or skip, got '{s}'"),
    };
}

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

/// <summary>
/// Training diverged (<c>--on-nan stop</c>): the message names the step, the loss terms and what was kept. The
/// trainer's prompt holds the best prompt when this is thrown; the checkpoint on disk is the last finite one.
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException(string message, NonFiniteStepException inner) : base(message, inner) { }
}

/// <summary>Finite-value checks used by the trainer and by everything that writes a checkpoint or prompt.</summary>
public static class NumericGuard
{
    /// <summary>True when every element of <paramref name="t"/> is finite.</summary>
    public static bool AllFinite(Tensor t)
    {
        using var _ = no_grad();
        using var finite = isfinite(t);
        using var all = finite.all();
        return all.item<bool>();
    }

    /// <summary>True when every value is finite.</summary>
    public static bool AllFinite(params double[] values) => values.All(double.IsFinite);

    /// <summary>Throws an <see cref="InvalidDataException"/> naming <paramref name="what"/> when a tensor holds NaN/Inf.</summary>
    public static void RequireFinite(Tensor t, string what)
    {
        if (!AllFinite(t)) throw new InvalidDataException($"{what} holds non-finite values (NaN or Inf)");
    }
}
