using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tvp.Models.T5;

/// <summary>
/// T5 attention (<c>q</c>/<c>k</c>/<c>v</c>/<c>o</c>, no biases, no 1/sqrt(d_kv) scaling); block 0 of each stack
/// owns <c>relative_attention_bias</c> (buckets × heads) and computes the position bias the other blocks reuse.
/// </summary>
internal sealed class T5Attention : nn.Module
{
    private readonly Linear q, k, v, o;
    private readonly Embedding? relative_attention_bias;
    private readonly int _heads, _dkv, _buckets, _maxDistance;
    private readonly bool _bidirectional;

    public T5Attention(T5Config c, bool hasRelativeBias, bool bidirectional) : base(nameof(T5Attention))
    {
        int inner = c.NumHeads * c.DKv;
        q = nn.Linear(c.DModel, inner, hasBias: false);
        k = nn.Linear(c.DModel, inner, hasBias: false);
        v = nn.Linear(c.DModel, inner, hasBias: false);
        o = nn.Linear(inner, c.DModel, hasBias: false);
        if (hasRelativeBias) relative_attention_bias = nn.Embedding(c.NumBuckets, c.NumHeads);
        _heads = c.NumHeads; _dkv = c.DKv; _buckets = c.NumBuckets; _maxDistance = c.MaxDistance; _bidirectional = bidirectional;
        RegisterComponents();
    }

    /// <summary>The relative position bias [1,H,q,k] (this module must own the table).</summary>
    public Tensor PositionBias(long queryLength, long keyLength, Device device)
    {
        if (relative_attention_bias is null) throw new InvalidOperationException("t5: this attention has no relative_attention_bias");
        using var scope = NewDisposeScope();
        var buckets = T5RelativePosition.Buckets(queryLength, keyLength, _bidirectional, _buckets, _maxDistance, device); // [q, k]
        return relative_attention_bias.forward(buckets).permute(2, 0, 1).unsqueeze(0).MoveToOuterDisposeScope();          // [1, H, q, k]
    }

    /// <summary>x [N,T,D] attending to <paramref name="kv"/> [N,S,D] (itself for self-attention) with additive bias [N or 1,H,T,S].</summary>
    public Tensor Forward(Tensor x, Tensor kv, Tensor bias)
    {
        using var scope = NewDisposeScope();
        long n = x.shape[0], t = x.shape[1], s = kv.shape[1];
        var qh = q.forward(x).view(n, t, _heads, _dkv).transpose(1, 2);       // [N, H, T, dkv]
        var kh = k.forward(kv).view(n, s, _heads, _dkv).transpose(1, 2);      // [N, H, S, dkv]
        var vh = v.forward(kv).view(n, s, _heads, _dkv).transpose(1, 2);      // [N, H, S, dkv]
        var probs = nn.functional.softmax(qh.matmul(kh.transpose(-1, -2)) + bias, -1); // [N, H, T, S]
        var ctx = probs.matmul(vh).transpose(1, 2).reshape(n, t, _heads * _dkv);        // [N, T, H*dkv]
        return o.forward(ctx).MoveToOuterDisposeScope();
    }
}
