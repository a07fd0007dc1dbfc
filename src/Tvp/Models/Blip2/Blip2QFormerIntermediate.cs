using TorchSharp.Modules;
using Tvp.Models.Clip;
using static TorchSharp.torch;

namespace Tvp.Models.Blip2;

/// <summary>BERT feed-forward inner layer: <c>act(dense x)</c> (<c>intermediate</c> / <c>intermediate_query</c>).</summary>
internal sealed class Blip2QFormerIntermediate : nn.Module<Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly string _act;

    public Blip2QFormerIntermediate(Blip2QFormerConfig c) : base(nameof(Blip2QFormerIntermediate))
    {
        dense = nn.Linear(c.HiddenSize, c.IntermediateSize);
        _act = c.HiddenAct;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return ClipActivation.Apply(_act, dense.forward(x)).MoveToOuterDisposeScope();
    }
}
