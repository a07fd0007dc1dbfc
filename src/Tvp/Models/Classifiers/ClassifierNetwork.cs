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

    /// <summary>Global average pool [B, C, H, W] → [B, C].</summary>
    protected static Tensor GlobalAveragePool(Tensor x) => x.mean(new long[] { 2, 3 }); // [B, C]
}
