using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tvp.Models.Blip2;

/// <summary>BERT residual output: <c>LayerNorm(dense(h) + input)</c> (also the feed-forward's <c>output</c>/<c>output_query</c>).</summary>
internal sealed class Blip2QFormerSelfOutput : nn.Module
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;

    public Blip2QFormerSelfOutput(Blip2QFormerConfig c, int? inputSize = null) : base(nameof(Blip2QFormerSelfOutput))
    {
        dense = nn.Linear(inputSize ?? c.HiddenSize, c.HiddenSize);
        LayerNorm = nn.LayerNorm(c.HiddenSize, c.LayerNormEps);
        RegisterComponents();
    }

    /// <summary>LayerNorm(dense(h) + residual).</summary>
    public Tensor Forward(Tensor h, Tensor residual)
    {
        using var scope = NewDisposeScope();
        return LayerNorm.forward(dense.forward(h) + residual).MoveToOuterDisposeScope();
    }
}
