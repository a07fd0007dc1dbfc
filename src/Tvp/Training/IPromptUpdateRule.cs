using Tvp.IO;
using static TorchSharp.torch;

namespace Tvp.Training;

/// <summary>How the prompt δ is updated from its gradient. State can be saved into checkpoints.</summary>
public interface IPromptUpdateRule : IDisposable
{
    /// <summary>Name: normalized, sgd, adam.</summary>
    string Name { get; }

    /// <summary>Updates <paramref name="delta"/> in place (under no_grad) from <paramref name="grad"/> with learning rate <paramref name="lr"/>; only masked pixels change.</summary>
    void Step(Tensor delta, Tensor grad, Tensor mask, double lr);

    /// <summary>State tensors to checkpoint (name → tensor).</summary>
    IReadOnlyDictionary<string, Tensor> State();

    /// <summary>Restores state saved by <see cref="State"/>.</summary>
    void Restore(Checkpoint checkpoint, string prefix, Device device);
}

/// <summary>Creates the update rule of a <see cref="PromptOptimizer"/>.</summary>
internal static class PromptUpdateRules
{
    /// <summary>normalized | sgd | adam.</summary>
    public static IPromptUpdateRule Create(PromptOptimizer optimizer) => optimizer switch
    {
        PromptOptimizer.Normalized => new NormalizedGradientStep(),
        PromptOptimizer.Sgd => new SgdMomentumStep(),
        PromptOptimizer.Adam => new AdamStep(),
        _ => throw new ArgumentException($"--optimizer must be {OptionNames.Choices<PromptOptimizer>()}, got {optimizer}"),
    };
}
