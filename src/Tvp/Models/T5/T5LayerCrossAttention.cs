using Tvp.Models.Llama;
using static TorchSharp.torch;

namespace Tvp.Models.T5;

/// <summary><c>layer.1</c> of a T5 decoder block: <c>x + EncDecAttention(layer_norm(x), encoder output)</c> (no position bias).</summary>
internal sealed class T5LayerCrossAttention : nn.Module
{
    private readonly T5Attention EncDecAttention;
    private readonly RmsNorm layer_norm;

    public T5LayerCrossAttention(T5Config c) : base(nameof(T5LayerCrossAttention))
    {
        EncDecAttention = new T5Attention(c, hasRelativeBias: false, bidirectional: true);
        layer_norm = new RmsNorm(c.DModel, c.LayerNormEps);
        RegisterComponents();
    }

    /// <summary>x [N,T,D] attending to the encoder output [N,S,D] with the encoder's additive mask [N,1,1,S].</summary>
    public Tensor Forward(Tensor x, Tensor encoderHidden, Tensor encoderBias)
    {
        using var scope = NewDisposeScope();
        return (x + EncDecAttention.Forward(layer_norm.forward(x), encoderHidden, encoderBias)).MoveToOuterDisposeScope();
    }
}
