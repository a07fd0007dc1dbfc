using Tvp.Models.Llama;
using static TorchSharp.torch;

namespace Tvp.Models.T5;

/// <summary><c>layer.0</c> of a T5 block: <c>x + SelfAttention(layer_norm(x))</c>.</summary>
internal sealed class T5LayerSelfAttention : nn.Module
{
    private readonly T5Attention SelfAttention;
    private readonly RmsNorm layer_norm;

    public T5LayerSelfAttention(T5Config c, bool hasRelativeBias, bool bidirectional) : base(nameof(T5LayerSelfAttention))
    {
        SelfAttention = new T5Attention(c, hasRelativeBias, bidirectional);
        layer_norm = new RmsNorm(c.DModel, c.LayerNormEps);
        RegisterComponents();
    }

    /// <summary>The attention (block 0 computes the stack's position bias with it).</summary>
    public T5Attention Attention => SelfAttention;

    /// <summary>x [N,T,D] with additive bias [N or 1,H,T,T].</summary>
    public Tensor Forward(Tensor x, Tensor bias)
    {
        using var scope = NewDisposeScope();
        var normed = layer_norm.forward(x);
        return (x + SelfAttention.Forward(normed, normed, bias)).MoveToOuterDisposeScope();
    }
}
