using Tvp.IO;
using static TorchSharp.torch;

namespace Tvp.Training;

/// <summary>SGD with momentum 0.9 (PyTorch convention: v ← μv + g; δ ← δ − lr·v), masked.</summary>
public sealed class SgdMomentumStep : IPromptUpdateRule
{
    private Tensor? _velocity;

    /// <summary>Momentum μ.</summary>
    public double Momentum { get; init; } = 0.9;

    /// <inheritdoc />
    public string Name => "sgd";

    /// <inheritdoc />
    public void Step(Tensor delta, Tensor grad, Tensor mask, double lr)
    {
        using var _ = no_grad();
        if (_velocity is null) { _velocity = zeros_like(delta); _velocity.DetachFromDisposeScope(); }
        using var g = grad * mask;
        _velocity.mul_(Momentum).add_(g);
        delta.sub_(_velocity * (float)lr);
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, Tensor> State() =>
        _velocity is null ? new Dictionary<string, Tensor>() : new Dictionary<string, Tensor> { ["velocity"] = _velocity };

    /// <inheritdoc />
    public void Restore(Checkpoint checkpoint, string prefix, Device device)
    {
        if (!checkpoint.Contains(prefix + "velocity")) return;
        _velocity?.Dispose();
        _velocity = checkpoint.ReadFloat(prefix + "velocity").to(device);
        _velocity.DetachFromDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose() => _velocity?.Dispose();
}
