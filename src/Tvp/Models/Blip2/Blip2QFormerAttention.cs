using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tvp.Models.Blip2;

/// <summary>Q-Former attention block (post-LN): <c>output.LayerNorm(output.dense(attention(x, kv)) + x)</c>.</summary>
internal sealed class Blip2QFormerAttention : nn.Module
{
    private readonly Blip2QFormerMultiHeadAttention attention;
    private readonly Blip2QFormerSelfOutput output;

    public Blip2QFormerAttention(Blip2QFormerConfig c, bool crossAttention) : base(nameof(Blip2QFormerAttention))
    {
        attention = new Blip2QFormerMultiHeadAttention(c, crossAttention);
        output = new Blip2QFormerSelfOutput(c);
        RegisterComponents();
    }

    /// <summary>x [B,T,D] attending to <paramref name="kv"/> [B,S,·] (x itself for self-attention), additive key mask [B,1,1,S] or null.</summary>
    public Tensor Forward(Tensor x, Tensor kv, Tensor? keyBias)
    {
        using var scope = NewDisposeScope();
        return output.Forward(attention.Forward(x, kv, keyBias), x).MoveToOuterDisposeScope();
    }
}
