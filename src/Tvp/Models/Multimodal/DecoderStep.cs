using TorchSharp;
using static TorchSharp.torch;

namespace Tvp.Models.Multimodal;

/// <summary>
/// The masks and position ids of one decoder-only forward call over new tokens, given an optional cache:
/// position ids follow the real tokens (a row's first real token gets 0, or the cache's next position),
/// padding on either side is handled by key masks, and every token may attend to itself (no empty rows).
/// </summary>
/// <param name="Mask">[N,T] bool, true at real new tokens.</param>
/// <param name="Positions">[N,T] int64 position ids (pads get the row's start).</param>
/// <param name="Start">[N] int64 position of each row's first new token.</param>
/// <param name="PastAllowed">[N,1,1,Tp] bool: which cached keys each row may read (null without a cache).</param>
/// <param name="NewAllowed">[N,1,T,T] bool: causal and padding mask over the new tokens.</param>
/// <param name="Group">G: how many consecutive rows share one cache row.</param>
internal sealed record DecoderStep(Tensor Mask, Tensor Positions, Tensor Start, Tensor? PastAllowed, Tensor NewAllowed, long Group)
{
    /// <summary>Builds the step for <paramref name="n"/> rows of <paramref name="t"/> new tokens (tensors in the caller's dispose scope).</summary>
    public static DecoderStep Create(long n, long t, Device device, Tensor? mask, KeyValueCache? past, bool useCache, string model)
    {
        mask ??= ones(n, t, dtype: ScalarType.Bool, device: device);
        long g = 1;
        Tensor? pastAllowed = null, start;
        if (past is not null)
        {
            if (n % past.Batch != 0) throw new ArgumentException($"{model} decoder: batch {n} is not a multiple of the cache batch {past.Batch}");
            g = n / past.Batch;
            if (useCache && g != 1) throw new ArgumentException($"{model} decoder: a shared (grouped) cache cannot be extended");
            pastAllowed = past.KeyMask.repeat_interleave(g, 0).view(n, 1, 1, past.Length);  // [N, 1, 1, Tp]
            start = past.NextPosition.repeat_interleave(g, 0);                               // [N]
        }
        else start = zeros(n, dtype: ScalarType.Int64, device: device);
        var realCount = mask.to(ScalarType.Int64).cumsum(1);                                // [N, T]
        var positions = (start.unsqueeze(1) + realCount - 1).clamp_min(0);                  // [N, T]
        positions = positions.where(mask, start.unsqueeze(1).expand(n, t));                 // pads get the row start
        var causal = ones(t, t, dtype: ScalarType.Bool, device: device).tril();             // [T, T]
        var eye = torch.eye(t, dtype: ScalarType.Bool, device: device);
        var newAllowed = (causal & mask.view(n, 1, 1, t)) | eye;                            // [N, 1, T, T]
        return new DecoderStep(mask, positions, start, pastAllowed, newAllowed, g);
    }

    /// <summary>The cache after this step: the past (if any) extended by the new keys/values [N,kvH,T,hd] per layer.</summary>
    public KeyValueCache Extend(KeyValueCache? past, Tensor[] keys, Tensor[] values)
    {
        using var scope = NewDisposeScope();
        var k = past is null ? keys : keys.Select((x, i) => cat(new[] { past.Keys[i], x }, 2)).ToArray();      // [N, kvH, Tp+T, hd]
        var v = past is null ? values : values.Select((x, i) => cat(new[] { past.Values[i], x }, 2)).ToArray();
        var keyMask = past is null ? Mask.clone() : cat(new[] { past.KeyMask, Mask }, 1);                       // [N, Tp+T]
        var next = Start + Mask.to(ScalarType.Int64).sum(1);                                                    // [N]
        return new KeyValueCache(k, v, keyMask, next);
    }
}
