using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tvp.Models.Llama;

/// <summary>
/// Causal self-attention with grouped-query heads (query head h reads key/value head h / (heads/kvHeads)).
/// Attends to cached keys/values of a prefix as well as to the new tokens. The cache may be shared by a
/// group of G consecutive input rows (input batch = cache batch × G): the candidates of one prompt read the
/// one prompt cache without copying it.
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
        double scale = 1.0 / Math.Sqrt(_headDim);

        var scoresNew = GroupedScores(q, k, 1).masked_fill(newAllowed.logical_not(), double.NegativeInfinity); // [N, H, T, T]
        Tensor probsNew, output;
        if (pastKey is null)
        {
            probsNew = nn.functional.softmax(scoresNew * scale, -1);
            output = GroupedApply(probsNew, v, 1);
        }
        else
        {
            long g = n / pastKey.shape[0], tp = pastKey.shape[2];
            var scoresPast = GroupedScores(q, pastKey, g).masked_fill(pastAllowed!.logical_not(), double.NegativeInfinity); // [N, H, T, Tp]
            var probs = nn.functional.softmax(cat(new[] { scoresPast, scoresNew }, -1) * scale, -1); // [N, H, T, Tp+T]
            output = GroupedApply(probs.narrow(-1, 0, tp), pastValue!, g) + GroupedApply(probs.narrow(-1, tp, t), v, 1);
        }
        var merged = output.transpose(1, 2).reshape(n, t, _heads * _headDim);        // [N, T, H*hd]
        var y = o_proj.forward(merged);
        return (y.MoveToOuterDisposeScope(), k.MoveToOuterDisposeScope(), v.MoveToOuterDisposeScope());
    }

    /// <summary>q [N,H,T,hd] against keys [N/G, kvH, S, hd] → scores [N,H,T,S] (unscaled).</summary>
    private Tensor GroupedScores(Tensor q, Tensor keys, long g)
    {
        long n = q.shape[0], t = q.shape[2], b = n / g, r = _heads / _kvHeads, s = keys.shape[2];
        var qg = q.view(b, g, _kvHeads, r, t, _headDim).permute(0, 2, 1, 3, 4, 5)
                  .reshape(b, _kvHeads, g * r * t, _headDim);                      // [B, kvH, G*R*T, hd]
        var scores = qg.matmul(keys.transpose(-1, -2));                            // [B, kvH, G*R*T, S]
        return scores.view(b, _kvHeads, g, r, t, s).permute(0, 2, 1, 3, 4, 5)
                     .reshape(n, _heads, t, s);                                    // [N, H, T, S]
    }

    /// <summary>probs [N,H,T,S] applied to values [N/G, kvH, S, hd] → [N,H,T,hd].</summary>
    private Tensor GroupedApply(Tensor probs, Tensor values, long g)
    {
        long n = probs.shape[0], t = probs.shape[2], s = probs.shape[3], b = n / g, r = _heads / _kvHeads;
        var pg = probs.reshape(b, g, _kvHeads, r, t, s).permute(0, 2, 1, 3, 4, 5)
                      .reshape(b, _kvHeads, g * r * t, s);                         // [B, kvH, G*R*T, S]
        var o = pg.matmul(values);                                                 // [B, kvH, G*R*T, hd]
        return o.view(b, _kvHeads, g, r, t, _headDim).permute(0, 2, 1, 3, 4, 5)
                .reshape(n, _heads, t, _headDim);                                  // [N, H, T, hd]
    }
}
