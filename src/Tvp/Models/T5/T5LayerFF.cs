using Tvp.Models.Llama;
using static TorchSharp.torch;

namespace Tvp.Models.T5;

/// <summary>The feed-forward layer of a T5 block: <c>x + DenseReluDense(layer_norm(x))</c>.</summary>
internal sealed class T5LayerFF : nn.Module<Tensor, Tensor>
{
    private readonly T5DenseActDense DenseReluDense;
    private readonly RmsNorm layer_norm;

    public T5LayerFF(T5Config c) : base(nameof(T5LayerFF))
    {
        DenseReluDense = new T5DenseActDense(c);
        layer_norm = new RmsNorm(c.DModel, c.LayerNormEps);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return (x + DenseReluDense.forward(layer_norm.forward(x))).MoveToOuterDisposeScope();
    }
}
