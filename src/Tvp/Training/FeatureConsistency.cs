using static TorchSharp.torch;

namespace Tvp.Training;

/// <summary>
/// FCA (Feature Consistency Alignment): mean over batch (and visual tokens) of ||f(x+δ) − f(x)||₂, where the
/// clean features f(x) are computed without gradients (the released code wasted memory on them).
/// </summary>
public static class FeatureConsistency
{
    /// <summary>The FCA loss between prompted features ([B,D] or [B,T,D], with grad) and clean features (no grad).</summary>
    public static Tensor Loss(Tensor prompted, Tensor clean)
    {
        if (!prompted.shape.SequenceEqual(clean.shape))
            throw new ArgumentException($"FCA: prompted features [{string.Join(",", prompted.shape)}] and clean features [{string.Join(",", clean.shape)}] differ in shape");
        using var scope = NewDisposeScope();
        var diff = prompted - clean.detach();
        var norms = diff.flatten(0, -2).norm(1, false, 2);       // [B·T] per-token L2 distance
        return norms.mean().MoveToOuterDisposeScope();
    }
}
