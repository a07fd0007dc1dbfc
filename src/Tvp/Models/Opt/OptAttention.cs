using TorchSharp.Modules;
using Tvp.Models.Multimodal;
using static TorchSharp.torch;

namespace Tvp.Models.Opt;

/// <summary>OPT self-attention (<c>q_proj</c>/<c>k_proj</c>/<c>v_proj</c>/<c>out_proj</c>, q scaled by head_dim^-0.5), over a cache and the new tokens.</summary>
internal sealed class OptAttention : nn.Module
{
    private readonly Linear q_proj, k_proj, v_proj, out_proj;
    private readonly int _heads, _headDim;

    public OptAttention(OptConfig c) : base(nameof(OptAttention))
    {
        _heads = c.NumHeads; _headDim = c.HeadDim;
        q_proj = nn.Linear(c.HiddenSize, c.HiddenSize, hasBias: c.EnableBias);
        k_proj = nn.Linear(c.HiddenSize, c.HiddenSize, hasBias: c.EnableBias);
        v_proj = nn.Linear(c.HiddenSize, c.HiddenSize, hasBias: c.EnableBias);
        out_proj = nn.Linear(c.HiddenSize, c.HiddenSize, hasBias: c.EnableBias);
        RegisterComponents();
    }

    /// <summary>x [N,T,D] → output [N,T,D] and the new keys/values [N,H,T,hd]; masks as in <see cref="CachedAttention.Attend"/>.</summary>
    public (Tensor Output, Tensor Key, Tensor Value) Forward(Tensor x, Tensor? pastKey, Tensor? pastValue, Tensor? pastAllowed, Tensor newAllowed)
    {
        using var scope = NewDisposeScope();
        long n = x.shape[0], t = x.shape[1];
        var q = (q_proj.forward(x) * (1.0 / Math.Sqrt(_headDim))).view(n, t, _heads, _headDim).transpose(1, 2); // [N, H, T, hd]
        var k = k_proj.forward(x).view(n, t, _heads, _headDim).transpose(1, 2);                                  // [N, H, T, hd]
        var v = v_proj.forward(x).view(n, t, _heads, _headDim).transpose(1, 2);                                  // [N, H, T, hd]
        var o = CachedAttention.Attend(q, k, v, pastKey, pastValue, pastAllowed, newAllowed, 1.0);              // [N, H, T, hd]
        var y = out_proj.forward(o.transpose(1, 2).reshape(n, t, _heads * _headDim));                            // [N, T, D]
        return (y.MoveToOuterDisposeScope(), k.MoveToOuterDisposeScope(), v.MoveToOuterDisposeScope());
    }
}
