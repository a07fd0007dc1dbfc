using Tvp.IO;
using static TorchSharp.torch;

namespace Tvp.Training;

/// <summary>Adam (β1 0.9, β2 0.999, ε 1e-8, bias-corrected), masked.</summary>
public sealed class AdamStep : IPromptUpdateRule
{
    private Tensor? _m, _v, _t;

    /// <inheritdoc />
    public string Name => "adam";

    /// <inheritdoc />
    public void Step(Tensor delta, Tensor grad, Tensor mask, double lr)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        if (_m is null)
        {
            _m = zeros_like(delta).DetachFromDisposeScope();
            _v = zeros_like(delta).DetachFromDisposeScope();
            _t = zeros(1).DetachFromDisposeScope();
        }
        var g = grad * mask;
        _t!.add_(1);
        double t = _t.item<float>();
        _m.mul_(0.9).add_(g * 0.1f);
        _v!.mul_(0.999).add_(g * g * 0.001f);
        var mHat = _m / (1 - Math.Pow(0.9, t));
        var vHat = _v / (1 - Math.Pow(0.999, t));
        delta.sub_(mHat / (vHat.sqrt() + 1e-8f) * (float)lr * mask);
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, Tensor> State() => _m is null
        ? new Dictionary<string, Tensor>()
        : new Dictionary<string, Tensor> { ["m"] = _m, ["v"] = _v!, ["t"] = _t! };

    /// <inheritdoc />
    public void Restore(Checkpoint checkpoint, string prefix, Device device)
    {
        if (!checkpoint.Contains(prefix + "m")) return;
        Dispose();
        _m = checkpoint.ReadFloat(prefix + "m").to(device).DetachFromDisposeScope();
        _v = checkpoint.ReadFloat(prefix + "v").to(device).DetachFromDisposeScope();
        _t = checkpoint.ReadFloat(prefix + "t").DetachFromDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose() { _m?.Dispose(); _v?.Dispose(); _t?.Dispose(); _m = _v = _t = null; }
}
