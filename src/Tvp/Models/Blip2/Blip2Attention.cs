using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tvp.Models.Blip2;

/// <summary>
/// BLIP-2 vision self-attention: one fused <c>qkv</c> Linear whose bias (HF layout) is cat(q_bias, 0, v_bias),
/// then <c>projection</c>; scale head_dim^-0.5.
/// </summary>
internal sealed class Blip2Attention : nn.Module<Tensor, Tensor>
{
    private readonly Linear qkv, projection;
    private readonly int _heads, _headDim;

    public Blip2Attention(Blip2VisionConfig c) : base(nameof(Blip2Attention))
    {
        _heads = c.NumHeads; _headDim = c.HiddenSize / c.NumHeads;
        qkv = nn.Linear(c.HiddenSize, 3 * c.HiddenSize, hasBias: c.QkvBias);
        projection = nn.Linear(c.HiddenSize, c.HiddenSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], t = x.shape[1];
        var parts = qkv.forward(x).view(b, t, 3, _heads, _headDim).permute(2, 0, 3, 1, 4); // [3, B, H, T, hd]
        var (q, k, v) = (parts[0], parts[1], parts[2]);
        var probs = nn.functional.softmax(q.matmul(k.transpose(-1, -2)) * (1.0 / Math.Sqrt(_headDim)), -1); // [B, H, T, T]
        var ctx = probs.matmul(v).permute(0, 2, 1, 3).reshape(b, t, _heads * _headDim);                // [B, T, D]
        return projection.forward(ctx).MoveToOuterDisposeScope();
    }
}
