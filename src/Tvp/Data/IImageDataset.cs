using static TorchSharp.torch;

namespace Tvp.Data;

/// <summary>A labelled image dataset: images are decoded on demand into [3,H,W] float32 in [0,1].</summary>
public interface IImageDataset
{
    /// <summary>Class names; label i is Classes[i].</summary>
    IReadOnlyList<string> Classes { get; }

    /// <summary>Number of images.</summary>
    int Count { get; }

    /// <summary>The label of image <paramref name="index"/>, without decoding it.</summary>
    int LabelOf(int index);

    /// <summary>Decodes image <paramref name="index"/> into [3,H,W] float32 in [0,1] (RGB).</summary>
    Tensor LoadImage(int index);

    /// <summary>Where image <paramref name="index"/> comes from (a path, or file#record), for error messages and reports.</summary>
    string Describe(int index);
}
