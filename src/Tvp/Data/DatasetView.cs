using static TorchSharp.torch;

namespace Tvp.Data;

/// <summary>A subset of another dataset, selected by an index array (order kept, class names kept).</summary>
public sealed class DatasetView : IImageDataset
{
    private readonly int[] _indices;

    /// <summary>Creates the view of <paramref name="source"/> made of the images at <paramref name="indices"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside the source.</exception>
    public DatasetView(IImageDataset source, IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(indices);
        _indices = indices.ToArray();
        for (int i = 0; i < _indices.Length; i++)
            if ((uint)_indices[i] >= (uint)source.Count)
                throw new ArgumentOutOfRangeException(nameof(indices), $"index {_indices[i]} (position {i}) is outside the source dataset of {source.Count} images");
        Source = source;
    }

    /// <summary>The dataset this view selects from.</summary>
    public IImageDataset Source { get; }

    /// <summary>The source indices, in view order.</summary>
    public IReadOnlyList<int> Indices => _indices;

    /// <inheritdoc/>
    public IReadOnlyList<string> Classes => Source.Classes;

    /// <inheritdoc/>
    public int Count => _indices.Length;

    /// <inheritdoc/>
    public int LabelOf(int index) => Source.LabelOf(Map(index));

    /// <inheritdoc/>
    public Tensor LoadImage(int index) => Source.LoadImage(Map(index));

    /// <inheritdoc/>
    public string Describe(int index) => Source.Describe(Map(index));

    private int Map(int index) =>
        (uint)index < (uint)_indices.Length ? _indices[index]
            : throw new ArgumentOutOfRangeException(nameof(index), index, $"the view has {_indices.Length} images");
}
