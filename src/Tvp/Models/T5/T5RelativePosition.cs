using static TorchSharp.torch;

namespace Tvp.Models.T5;

/// <summary>
/// T5's relative position buckets (HF <c>_relative_position_bucket</c>, from Mesh-TF): exact buckets for
/// small distances, logarithmic ones up to <c>max_distance</c>; bidirectional (encoder) or causal (decoder).
/// </summary>
internal static class T5RelativePosition
{
    /// <summary>Bucket [q,k] int64 of every (query i, key j) pair, from relative positions j - i.</summary>
    public static Tensor Buckets(long queryLength, long keyLength, bool bidirectional, int numBuckets, int maxDistance, Device device)
    {
        using var scope = NewDisposeScope();
        var context = arange(queryLength, dtype: ScalarType.Int64, device: device).unsqueeze(1);   // [q, 1]
        var memory = arange(keyLength, dtype: ScalarType.Int64, device: device).unsqueeze(0);      // [1, k]
        var relative = memory - context;                                                           // [q, k]
        var buckets = zeros_like(relative);
        int nb = numBuckets;
        if (bidirectional)
        {
            nb /= 2;
            buckets = buckets + relative.gt(0).to(ScalarType.Int64) * nb;
            relative = relative.abs();
        }
        else relative = (-relative).clamp_min(0);
        int maxExact = nb / 2;
        var isSmall = relative.lt(maxExact);
        // HF evaluates the log in float32; to(Int64) truncates toward zero. Small distances (log of 0) are masked below.
        var large = (relative.to(ScalarType.Float32) / maxExact).log() / Math.Log((double)maxDistance / maxExact) * (nb - maxExact);
        var ifLarge = (large.nan_to_num(0, 0, 0).to(ScalarType.Int64) + maxExact).clamp_max(nb - 1);
        return (buckets + relative.where(isSmall, ifLarge)).MoveToOuterDisposeScope();
    }
}
