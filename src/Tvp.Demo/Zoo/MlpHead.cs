using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Tvp.Models;
using Tvp.Experiments;

namespace Tvp.Demo.Zoo;

/// <summary>A two-layer MLP on the pooled features: 512 → 256 (ReLU; the connector) → classes.</summary>
internal sealed class MlpHead : ZooHead
{
    private readonly Linear hidden;
    private readonly Linear classifier;

    public MlpHead(int channels, int classes) : base("mlp", channels)
    {
        hidden = nn.Linear(channels, 256);
        classifier = nn.Linear(256, classes);
        RegisterComponents();
    }

    public override (Tensor Logits, Tensor Connector) Forward(Tensor spatial)
    {
        using var scope = NewDisposeScope();
        var pooled = Standardise(spatial).mean(new long[] { 2, 3 });       // [B, C]
        var connector = nn.functional.relu(hidden.forward(pooled));        // [B, 256]
        var logits = classifier.forward(connector);                        // [B, K]
        return (logits.MoveToOuterDisposeScope(), connector.MoveToOuterDisposeScope());
    }
}
