using TorchSharp.Modules;
using Tvp.Models.Multimodal;
using static TorchSharp.torch;

namespace Tvp.Models.Llama;

/// <summary>
/// Causal self-attention with rotary positions and grouped-query heads, over cached keys/values of a prefix
/// and the new tokens (<see cref="CachedAttention"/>).
/// </summary>
internal sealed class LlamaAttention : nn.Module
{
    private readonly Linear q_proj, k_proj, v_proj, o_proj;
    private readonly int _heads, _kvHeads, _headDim;

    public LlamaAttention(LlamaConfig c) : base(nameof(LlamaAttention))
    {
        _heads = c.NumHeads; _kvHeads = c.NumKeyValueHeads; _headDim = c.HeadDim;
        q_proj = nn.Linear(c.HiddenSize, c.NumHeads * c.HeadDim, hasBias: c.AttentionBias);
        k_proj = nn.Linear(c.HiddenSize, c.NumKeyValueHeads * c.HeadDim, hasBias: c.AttentionBias);
        v_proj = nn.Linear(c.HiddenSize, c.NumKeyValueHeads * c.HeadDim, hasBias: c.AttentionBias);
        o_proj = nn.Linear(c.NumHeads * c.HeadDim, c.HiddenSize, hasBias: c.AttentionBias);
        RegisterComponents();
    }

    /// <summary>
    /// x [N,T,D]; cos/sin [N,1,T,headDim]; past keys/values [N/G, kvHeads, Tp, headDim] or null;
    /// pastAllowed [N,1,1,Tp] and newAllowed [N,1,T,T] bool masks. Returns the output [N,T,D] and the new
    /// tokens' keys and values [N, kvHeads, T, headDim] (after RoPE).
    /// </summary>
    public (Tensor Output, Tensor Key, Tensor Value) Forward(Tensor x, Tensor cos, Tensor sin,
        Tensor? pastKey, Tensor? pastValue, Tensor? pastAllowed, Tensor newAllowed)
    {
        using var scope = NewDisposeScope();
        long n = x.shape[0], t = x.shape[1];
        var q = q_proj.forward(x).view(n, t, _heads, _headDim).transpose(1, 2);     // [N, H, T, hd]
        var k = k_proj.forward(x).view(n, t, _kvHeads, _headDim).transpose(1, 2);   // [N, kvH, T, hd]
        var v = v_proj.forward(x).view(n, t, _kvHeads, _headDim).transpose(1, 2);   // [N, kvH, T, hd]
        q = RotaryEmbedding.Apply(q, cos, sin);
        k = RotaryEmbedding.Apply(k, cos, sin);
        var output = CachedAttention.Attend(q, k, v, pastKey, pastValue, pastAllowed, newAllowed, 1.0 / Math.Sqrt(_headDim)); // [N, H, T, hd]
        var merged = output.transpose(1, 2).reshape(n, t, _heads * _headDim);        // [N, T, H*hd]
        var y = o_proj.forward(merged);
        return (y.MoveToOuterDisposeScope(), k.MoveToOuterDisposeScope(), v.MoveToOuterDisposeScope());
    }
}
