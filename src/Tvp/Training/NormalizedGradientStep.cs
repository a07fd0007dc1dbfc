using Tvp.IO;
using static TorchSharp.torch;

namespace Tvp.Training;

/// <summary>The released code's update: δ ← δ − lr · mask ⊙ ḡ / (‖ḡ‖₂ + 1e-10). Stateless.</summary>
public sealed class NormalizedGradientStep : IPromptUpdateRule
{
    /// <inheritdoc />
    public string Name => "normalized";

    /// <inheritdoc />
    public void Step(Tensor delta, Tensor grad, Tensor mask, double lr)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var g = grad * mask;
        var norm = g.norm().item<float>();
        delta.sub_(g * (float)(lr / (norm + 1e-10)));
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, Tensor> State() => new Dictionary<string, Tensor>();

    /// <inheritdoc />
    public void Restore(Checkpoint checkpoint, string prefix, Device device) { }

    /// <inheritdoc />
    public void Dispose() { }
}
