using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tvp.Models.Blip2;

/// <summary>BERT attention core of the Q-Former (<c>query</c>/<c>key</c>/<c>value</c>); keys/values from the image features for cross-attention.</summary>
internal sealed class Blip2QFormerMultiHeadAttention : nn.Module
{
    private readonly Linear query, key, value;
    private readonly int _heads, _headDim;

    public Blip2QFormerMultiHeadAttention(Blip2QFormerConfig c, bool crossAttention) : base(nameof(Blip2QFormerMultiHeadAttention))
    {
        _heads = c.NumHeads; _headDim = c.HiddenSize / c.NumHeads;
        int kvIn = crossAttention ? c.EncoderHiddenSize : c.HiddenSize;
        query = nn.Linear(c.HiddenSize, c.HiddenSize);
        key = nn.Linear(kvIn, c.HiddenSize);
        value = nn.Linear(kvIn, c.HiddenSize);
        RegisterComponents();
    }

    /// <summary>x [B,T,D] over <paramref name="kv"/> [B,S,Dkv] with additive key mask [B,1,1,S] (or null) → context [B,T,D].</summary>
    public Tensor Forward(Tensor x, Tensor kv, Tensor? keyBias)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], t = x.shape[1], s = kv.shape[1];
        var q = query.forward(x).view(b, t, _heads, _headDim).transpose(1, 2);   // [B, H, T, hd]
        var k = key.forward(kv).view(b, s, _heads, _headDim).transpose(1, 2);    // [B, H, S, hd]
        var v = value.forward(kv).view(b, s, _heads, _headDim).transpose(1, 2);  // [B, H, S, hd]
        var scores = q.matmul(k.transpose(-1, -2)) / Math.Sqrt(_headDim);        // [B, H, T, S]
        if (keyBias is not null) scores = scores + keyBias;
        var ctx = nn.functional.softmax(scores, -1).matmul(v);                   // [B, H, T, hd]
        return ctx.transpose(1, 2).reshape(b, t, _heads * _headDim).MoveToOuterDisposeScope(); // [B, T, D]
    }
}
