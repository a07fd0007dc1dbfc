using static TorchSharp.torch;

namespace Tvp.Data;

/// <summary>
/// MNIST-style IDX data: an images file (idx3-ubyte, [N,H,W] grey) and a labels file (idx1-ubyte, [N]), each raw or
/// gzip-compressed. Images load as [3,H,W] float32 in [0,1] (grey repeated on the three channels).
/// </summary>
public sealed class IdxDataset : IImageDataset
{
    /// <summary>Fashion-MNIST's class names, label order (Xiao, Rasul and Vollgraf 2017).</summary>
    public static IReadOnlyList<string> FashionMnistClasses { get; } = new[]
    {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    };

    /// <summary>MNIST's class names: the digits "0" to "9".</summary>
    public static IReadOnlyList<string> MnistClasses { get; } = Enumerable.Range(0, 10).Select(i => i.ToString()).ToArray();

    private readonly IdxFile _images;
    private readonly IdxFile _labels;
    private readonly int _height, _width;

    /// <summary>Reads an images file and a labels file; <paramref name="classes"/> defaults to "0", "1", … up to the largest label.</summary>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">A bad magic number, truncated data, a count mismatch or a label outside the classes (the message names the file).</exception>
    public IdxDataset(string imagesFile, string labelsFile, IReadOnlyList<string>? classes = null)
    {
        _images = IdxFile.Read(imagesFile, rank: 3);
        _labels = IdxFile.Read(labelsFile, rank: 1);
        if (_images.Dims[0] != _labels.Dims[0])
            throw new InvalidDataException($"{imagesFile} holds {_images.Dims[0]} images but {labelsFile} holds {_labels.Dims[0]} labels");
        _height = _images.Dims[1];
        _width = _images.Dims[2];
        var labels = _labels.Data.AsSpan(_labels.DataOffset);
        int maxLabel = 0;
        foreach (var l in labels) maxLabel = Math.Max(maxLabel, l);
        Classes = classes?.ToArray() ?? Enumerable.Range(0, maxLabel + 1).Select(i => i.ToString()).ToArray();
        if (maxLabel >= Classes.Count)
            throw new InvalidDataException($"{labelsFile}: label {maxLabel} is outside the {Classes.Count} classes");
        ImagesFile = _images.Path;
        LabelsFile = _labels.Path;
    }

    /// <summary>Fashion-MNIST from a folder holding <c>train-images-idx3-ubyte(.gz)</c>, <c>train-labels-idx1-ubyte(.gz)</c>,
    /// <c>t10k-images-idx3-ubyte(.gz)</c> and <c>t10k-labels-idx1-ubyte(.gz)</c> (Debian: /usr/share/datasets/fashion-mnist).</summary>
    public static IdxDataset FashionMnist(string folder, bool train) => FromFolder(folder, train, FashionMnistClasses);

    /// <summary>MNIST from a folder with the standard file names (see <see cref="FashionMnist"/>).</summary>
    public static IdxDataset Mnist(string folder, bool train) => FromFolder(folder, train, MnistClasses);

    private static IdxDataset FromFolder(string folder, bool train, IReadOnlyList<string> classes)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"IDX dataset folder not found: {folder}");
        string prefix = train ? "train" : "t10k";
        return new IdxDataset(Find(folder, $"{prefix}-images-idx3-ubyte"), Find(folder, $"{prefix}-labels-idx1-ubyte"), classes);
    }

    private static string Find(string folder, string name)
    {
        foreach (var candidate in new[] { name, name + ".gz", name.Replace("-idx", ".idx"), name.Replace("-idx", ".idx") + ".gz" })
        {
            var p = Path.Combine(folder, candidate);
            if (File.Exists(p)) return p;
        }
        throw new FileNotFoundException($"{folder}: neither {name} nor {name}.gz found", Path.Combine(folder, name));
    }

    /// <summary>The images file read.</summary>
    public string ImagesFile { get; }

    /// <summary>The labels file read.</summary>
    public string LabelsFile { get; }

    /// <inheritdoc/>
    public IReadOnlyList<string> Classes { get; }

    /// <inheritdoc/>
    public int Count => _labels.Dims[0];

    /// <inheritdoc/>
    public int LabelOf(int index) => _labels.Data[_labels.DataOffset + Check(index)];

    /// <inheritdoc/>
    public Tensor LoadImage(int index)
    {
        int pixels = _height * _width;
        var grey = new byte[pixels];
        Array.Copy(_images.Data, _images.DataOffset + (long)Check(index) * pixels, grey, 0, pixels);
        using var scope = NewDisposeScope();
        var t = tensor(grey, new long[] { 1, _height, _width }, ScalarType.Byte) // [1, H, W]
            .to_type(ScalarType.Float32).div_(255f)
            .expand(3, _height, _width).contiguous();                            // [3, H, W]
        return t.MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public string Describe(int index) => $"{ImagesFile}#{Check(index)}";

    private int Check(int index) =>
        (uint)index < (uint)Count ? index
            : throw new ArgumentOutOfRangeException(nameof(index), index, $"{ImagesFile} has {Count} images");
}
