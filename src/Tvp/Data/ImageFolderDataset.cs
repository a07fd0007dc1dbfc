using System.Globalization;
using static TorchSharp.torch;

namespace Tvp.Data;

/// <summary>
/// An image dataset laid out as one folder per class (torchvision's ImageFolder layout).
/// Class order: <c>classes.txt</c> in the root, else in its parent (CIFAR-10 keeps one beside train/ and test/), one
/// class per line, label i = line i; lines name the class folders, or — when the folders are numbered
/// (GTSRB's <c>00</c>…<c>42</c>) — folder <c>n</c> holds class n and the line is its display name. Without a
/// <c>classes.txt</c> the class folders are sorted by ordinal name. Images (.jpg .jpeg .png .bmp .ppm .pgm, any case)
/// are sorted by ordinal file name within a class and decoded on demand.
/// </summary>
public sealed class ImageFolderDataset : IImageDataset
{
    /// <summary>The file extensions read as images (compared case-insensitively).</summary>
    public static IReadOnlyList<string> ImageExtensions { get; } = new[] { ".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".pgm" };

    private readonly string[] _paths;
    private readonly int[] _labels;

    /// <summary>Scans <paramref name="root"/> (the folder holding the class folders).</summary>
    /// <exception cref="DirectoryNotFoundException">The root does not exist.</exception>
    /// <exception cref="InvalidDataException">No class folders, an empty class folder, or a classes.txt that does not match the folders.</exception>
    public ImageFolderDataset(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Root = Path.GetFullPath(root);
        if (!Directory.Exists(Root)) throw new DirectoryNotFoundException($"dataset folder not found: {Root}");

        var folders = Directory.GetDirectories(Root)
            .Select(Path.GetFileName).OfType<string>()
            .Where(n => !n.StartsWith('.'))
            .OrderBy(n => n, StringComparer.Ordinal).ToArray();
        if (folders.Length == 0) throw new InvalidDataException($"{Root}: no class folders (expected one sub-folder per class)");

        ClassesFile = FindClassesFile(Root);
        string[] classes, classFolders;
        if (ClassesFile is null) { classes = folders; classFolders = folders; }
        else (classes, classFolders) = MatchClassesFile(ClassesFile, folders, Root);
        Classes = classes;

        var paths = new List<string>();
        var labels = new List<int>();
        for (int label = 0; label < classFolders.Length; label++)
        {
            var dir = Path.Combine(Root, classFolders[label]);
            var files = Directory.GetFiles(dir)
                .Where(f => ImageExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                .OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal).ToArray();
            if (files.Length == 0) throw new InvalidDataException($"class folder {dir} has no images ({string.Join(' ', ImageExtensions)})");
            paths.AddRange(files);
            labels.AddRange(Enumerable.Repeat(label, files.Length));
        }
        _paths = paths.ToArray();
        _labels = labels.ToArray();
    }

    /// <summary>The dataset root (absolute).</summary>
    public string Root { get; }

    /// <summary>The classes.txt that fixed the class order, or null when folder names were sorted.</summary>
    public string? ClassesFile { get; }

    /// <inheritdoc/>
    public IReadOnlyList<string> Classes { get; }

    /// <inheritdoc/>
    public int Count => _paths.Length;

    /// <inheritdoc/>
    public int LabelOf(int index) => _labels[Check(index)];

    /// <summary>The image file of image <paramref name="index"/>.</summary>
    public string PathOf(int index) => _paths[Check(index)];

    /// <inheritdoc/>
    public Tensor LoadImage(int index) => ImageDecoder.Load(_paths[Check(index)]);

    /// <inheritdoc/>
    public string Describe(int index) => _paths[Check(index)];

    private int Check(int index) =>
        (uint)index < (uint)_paths.Length ? index
            : throw new ArgumentOutOfRangeException(nameof(index), index, $"{Root} has {_paths.Length} images");

    private static string? FindClassesFile(string root)
    {
        var here = Path.Combine(root, "classes.txt");
        if (File.Exists(here)) return here;
        var parent = Path.GetDirectoryName(root);
        if (parent is null) return null;
        var beside = Path.Combine(parent, "classes.txt");
        return File.Exists(beside) ? beside : null;
    }

    /// <summary>Returns (class names, folder of each class) from a classes.txt.</summary>
    private static (string[] Classes, string[] Folders) MatchClassesFile(string file, string[] folders, string root)
    {
        var lines = File.ReadAllLines(file).Select(l => l.Trim()).ToList();
        while (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        if (lines.Count == 0) throw new InvalidDataException($"{file}: no class names");
        int blank = lines.IndexOf("");
        if (blank >= 0) throw new InvalidDataException($"{file}: line {blank + 1} is empty (one class name per line expected)");
        var dup = lines.GroupBy(l => l, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new InvalidDataException($"{file}: class '{dup.Key}' is listed more than once");

        var folderSet = new HashSet<string>(folders, StringComparer.Ordinal);
        bool anyNamed = lines.Any(folderSet.Contains);
        if (!anyNamed && TryNumberedFolders(folders, lines.Count, out var byId))
        {
            for (int i = 0; i < lines.Count; i++)
                if (byId[i] is null)
                    throw new InvalidDataException($"{file}: class {i} ('{lines[i]}') has no folder under {root} (numbered folders expected, e.g. '{i:D2}')");
            return (lines.ToArray(), byId.Select(f => f!).ToArray());
        }

        foreach (var (line, i) in lines.Select((l, i) => (l, i)))
            if (!folderSet.Contains(line))
                throw new InvalidDataException($"{file}: line {i + 1} names class folder '{line}', which does not exist under {root}");
        var extra = folders.Where(f => !lines.Contains(f, StringComparer.Ordinal)).ToArray();
        if (extra.Length > 0)
            throw new InvalidDataException($"{root}: folder(s) {string.Join(", ", extra.Select(e => $"'{e}'"))} not listed in {file}");
        return (lines.ToArray(), lines.ToArray());
    }

    /// <summary>True when every folder name is a distinct class number below <paramref name="count"/>.</summary>
    private static bool TryNumberedFolders(string[] folders, int count, out string?[] byId)
    {
        byId = new string?[count];
        foreach (var f in folders)
        {
            if (!f.All(char.IsAsciiDigit) || !int.TryParse(f, NumberStyles.None, CultureInfo.InvariantCulture, out int id) || id >= count || byId[id] is not null)
                return false;
            byId[id] = f;
        }
        return true;
    }
}
