using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Tvp.Models;
using Tvp.Experiments;

namespace Tvp.Demo.Zoo;

/// <summary>
/// A cosine-prototype head: the pooled features are embedded (512 → 64, L2-normalised: the connector) and
/// compared with one learned unit prototype per class; logits = 16 · cosine.
/// </summary>
internal sealed class PrototypeHead : ZooHead
{
    private const float Scale = 16f;
    private readonly Linear embed;
    private readonly Parameter prototypes;

    public PrototypeHead(int channels, int classes) : base("prototype", channels)
    {
        embed = nn.Linear(channels, 64);
        prototypes = nn.Parameter(randn(classes, 64));
        RegisterComponents();
    }

    public override (Tensor Logits, Tensor Connector) Forward(Tensor spatial)
    {
        using var scope = NewDisposeScope();
        var pooled = Standardise(spatial).mean(new long[] { 2, 3 });                          // [B, C]
        var connector = nn.functional.normalize(embed.forward(pooled), p: 2, dim: 1);          // [B, 64]
        var protos = nn.functional.normalize(prototypes, p: 2, dim: 1);                        // [K, 64]
        var logits = connector.matmul(protos.t()) * Scale;                                     // [B, K]
        return (logits.MoveToOuterDisposeScope(), connector.MoveToOuterDisposeScope());
    }
}
