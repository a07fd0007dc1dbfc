using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Tvp.Models;
using Tvp.Experiments;

namespace Tvp.Demo.Zoo;

/// <summary>
/// A linear probe on the pooled features, factorised as 512 → 64 (the connector: a learned linear projection,
/// no non-linearity) → classes. The whole head stays linear in the features; the factorisation gives it a
/// connector of its own, distinct from the shared encoder's output.
/// </summary>
internal sealed class LinearProbeHead : ZooHead
{
    private readonly Linear projection;
    private readonly Linear classifier;

    public LinearProbeHead(int channels, int classes) : base("linear", channels)
    {
        projection = nn.Linear(channels, 64);
        classifier = nn.Linear(64, classes);
        RegisterComponents();
    }

    public override (Tensor Logits, Tensor Connector) Forward(Tensor spatial)
    {
        using var scope = NewDisposeScope();
        var pooled = Standardise(spatial).mean(new long[] { 2, 3 });   // [B, C]
        var connector = projection.forward(pooled);                    // [B, 64]
        var logits = classifier.forward(connector);                    // [B, K]
        return (logits.MoveToOuterDisposeScope(), connector.MoveToOuterDisposeScope());
    }
}
