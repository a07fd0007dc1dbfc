using static TorchSharp.torch;

namespace Tvp.Data;

/// <summary>
/// Another dataset with one corruption at one severity applied to every image as it loads (CIFAR-10-C style).
/// Image i is corrupted with the seed <see cref="Corruptions.ImageSeed"/>(seed, i), so loading it twice gives the same
/// pixels, whatever the order of loading.
/// </summary>
public sealed class CorruptedDataset : IImageDataset
{
    /// <summary>Wraps <paramref name="source"/>.</summary>
    /// <exception cref="ArgumentException">Unknown corruption name.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Severity outside 1–5.</exception>
    public CorruptedDataset(IImageDataset source, string corruption, int severity, long seed)
    {
        ArgumentNullException.ThrowIfNull(source);
        Corruptions.CheckName(corruption);
        Corruptions.CheckSeverity(severity);
        Source = source;
        Corruption = corruption;
        Severity = severity;
        Seed = seed;
    }

    /// <summary>The clean dataset.</summary>
    public IImageDataset Source { get; }

    /// <summary>The corruption name (one of <see cref="Corruptions.Names"/>).</summary>
    public string Corruption { get; }

    /// <summary>The severity, 1–5.</summary>
    public int Severity { get; }

    /// <summary>The dataset-level seed.</summary>
    public long Seed { get; }

    /// <inheritdoc/>
    public IReadOnlyList<string> Classes => Source.Classes;

    /// <inheritdoc/>
    public int Count => Source.Count;

    /// <inheritdoc/>
    public int LabelOf(int index) => Source.LabelOf(index);

    /// <inheritdoc/>
    public Tensor LoadImage(int index)
    {
        using var clean = Source.LoadImage(index);
        return Corruptions.Apply(clean, Corruption, Severity, Corruptions.ImageSeed(Seed, index));
    }

    /// <inheritdoc/>
    public string Describe(int index) => $"{Source.Describe(index)} [{Corruption}, severity {Severity}]";
}
