using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tvp.Models.Clip;

/// <summary>HF <c>CLIPAttention</c>: separate q/k/v/out projections with biases, scores scaled by head_dim^-0.5.</summary>
internal sealed class ClipAttention : nn.Module<Tensor, Tensor>
{
    private readonly Linear q_proj, k_proj, v_proj, out_proj;
    private readonly int _heads;
    private readonly bool _causal;

    public ClipAttention(int hidden, int heads, bool causal) : base("CLIPAttention")
    {
        _heads = heads;
        _causal = causal;
        q_proj = nn.Linear(hidden, hidden);
        k_proj = nn.Linear(hidden, hidden);
        v_proj = nn.Linear(hidden, hidden);
        out_proj = nn.Linear(hidden, hidden);
        register_module("q_proj", q_proj);
        register_module("k_proj", k_proj);
        register_module("v_proj", v_proj);
        register_module("out_proj", out_proj);
    }

    /// <summary>Self-attention over x [B, T, D] (causal for the text tower).</summary>
    public override Tensor forward(Tensor x)
    {
        long b = x.shape[0], t = x.shape[1], d = x.shape[2];
        long headDim = d / _heads;
        var q = q_proj.forward(x).view(b, t, _heads, headDim).transpose(1, 2); // [B, heads, T, headDim]
        var k = k_proj.forward(x).view(b, t, _heads, headDim).transpose(1, 2); // [B, heads, T, headDim]
        var v = v_proj.forward(x).view(b, t, _heads, headDim).transpose(1, 2); // [B, heads, T, headDim]
        var o = nn.functional.scaled_dot_product_attention(q, k, v, null, 0.0, _causal); // [B, heads, T, headDim]
        var merged = o.transpose(1, 2).reshape(b, t, d); // [B, T, D]
        return out_proj.forward(merged);
    }
}
