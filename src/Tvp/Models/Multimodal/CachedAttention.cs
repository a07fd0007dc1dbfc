using static TorchSharp.torch;

namespace Tvp.Models.Multimodal;

/// <summary>
/// Scaled dot-product attention of new tokens over a key/value cache and themselves, with grouped-query
/// heads (query head h reads key/value head h / (heads/kvHeads)). The cache may be shared by a group of G
/// consecutive input rows (input batch = cache batch × G): the candidates of one prompt read the one prompt
/// cache without copying it. Used by every decoder-only language model (LLaMA, OPT).
/// </summary>
internal static class CachedAttention
{
    /// <summary>
    /// q [N,H,T,hd]; k, v [N,kvH,T,hd] (the new tokens); pastKey/pastValue [N/G,kvH,Tp,hd] or null;
    /// pastAllowed [N,1,1,Tp] and newAllowed [N,1,T,T] bool masks. Returns [N,H,T,hd].
    /// </summary>
    public static Tensor Attend(Tensor q, Tensor k, Tensor v, Tensor? pastKey, Tensor? pastValue,
        Tensor? pastAllowed, Tensor newAllowed, double scale)
    {
        using var scope = NewDisposeScope();
        long n = q.shape[0], t = q.shape[2];
        var scoresNew = GroupedScores(q, k, 1).masked_fill(newAllowed.logical_not(), double.NegativeInfinity); // [N, H, T, T]
        Tensor output;
        if (pastKey is null)
            output = GroupedApply(nn.functional.softmax(scoresNew * scale, -1), v, 1);
        else
        {
            long g = n / pastKey.shape[0], tp = pastKey.shape[2];
            var scoresPast = GroupedScores(q, pastKey, g).masked_fill(pastAllowed!.logical_not(), double.NegativeInfinity); // [N, H, T, Tp]
            var probs = nn.functional.softmax(cat(new[] { scoresPast, scoresNew }, -1) * scale, -1);  // [N, H, T, Tp+T]
            output = GroupedApply(probs.narrow(-1, 0, tp), pastValue!, g) + GroupedApply(probs.narrow(-1, tp, t), v, 1);
        }
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>q [N,H,T,hd] against keys [N/G, kvH, S, hd] → scores [N,H,T,S] (unscaled).</summary>
    private static Tensor GroupedScores(Tensor q, Tensor keys, long g)
    {
        long n = q.shape[0], heads = q.shape[1], t = q.shape[2], hd = q.shape[3], kvHeads = keys.shape[1];
        long b = n / g, r = heads / kvHeads, s = keys.shape[2];
        var qg = q.view(b, g, kvHeads, r, t, hd).permute(0, 2, 1, 3, 4, 5)
                  .reshape(b, kvHeads, g * r * t, hd);                              // [B, kvH, G*R*T, hd]
        var scores = qg.matmul(keys.transpose(-1, -2));                            // [B, kvH, G*R*T, S]
        return scores.view(b, kvHeads, g, r, t, s).permute(0, 2, 1, 3, 4, 5)
                     .reshape(n, heads, t, s);                                     // [N, H, T, S]
    }

    /// <summary>probs [N,H,T,S] applied to values [N/G, kvH, S, hd] → [N,H,T,hd].</summary>
    private static Tensor GroupedApply(Tensor probs, Tensor values, long g)
    {
        long n = probs.shape[0], heads = probs.shape[1], t = probs.shape[2], s = probs.shape[3];
        long kvHeads = values.shape[1], hd = values.shape[3], b = n / g, r = heads / kvHeads;
        var pg = probs.reshape(b, g, kvHeads, r, t, s).permute(0, 2, 1, 3, 4, 5)
                      .reshape(b, kvHeads, g * r * t, s);                          // [B, kvH, G*R*T, S]
        var o = pg.matmul(values);                                                 // [B, kvH, G*R*T, hd]
        return o.view(b, kvHeads, g, r, t, hd).permute(0, 2, 1, 3, 4, 5)
                .reshape(n, heads, t, hd);                                         // [N, H, T, hd]
    }
}
