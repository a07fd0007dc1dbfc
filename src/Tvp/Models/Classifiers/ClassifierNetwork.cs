using static TorchSharp.torch;

namespace Tvp.Models.Classifiers;

/// <summary>
/// A convolutional classifier split at its penultimate layer: <see cref="Features"/> (backbone + global
/// average pool, [B, D]) and <see cref="Classify"/> (the linear head, [B, labels]). Input is the
/// normalised image [B, 3, H, W] at any size.
/// </summary>
internal abstract class ClassifierNetwork : nn.Module<Tensor, Tensor>
{
    protected ClassifierNetwork(string name) : base(name) { }

    /// <summary>Width D of the pooled penultimate features.</summary>
    public abstract long FeatureSize { get; }

    /// <summary>Penultimate pooled features [B, D] of a normalised image batch.</summary>
    public abstract Tensor Features(Tensor x);

    /// <summary>Logits [B, labels] from pooled features.</summary>
    public abstract Tensor Classify(Tensor features);

    public override Tensor forward(Tensor x)
    {
        using var f = Features(x);
        return Classify(f);
    }

    /// <summary>
    /// Folds every eval-mode BatchNorm into the convolution before it (called once after the weights are loaded).
    /// The default pairs a <see cref="PaddedConv2d"/> with the <see cref="FoldableBatchNorm2d"/> that follows it in
    /// the same module's children; networks with BatchNorms outside sequences override it.
    /// </summary>
    public virtual void FoldBatchNorms()
    {
        foreach (var (_, m) in named_modules())
        {
            PaddedConv2d? previous = null;
            foreach (var (_, child) in m.named_children())
            {
                if (child is FoldableBatchNorm2d bn && previous is not null) bn.FoldInto(previous);
                previous = child as PaddedConv2d;
            }
        }
    }

    /// <summary>Global average pool [B, C, H, W] → [B, C].</summary>
    protected static Tensor GlobalAveragePool(Tensor x) => x.mean(new long[] { 2, 3 }); // [B, C]
}
