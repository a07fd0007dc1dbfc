using StbImageWriteSharp;
using Tvp.Data;

namespace Tvp.Tests.Data;

public class ImageFolderDatasetTests
{
    private static void WriteImage(string path) =>
        TestImages.WritePng(path, TestImages.Gradient(4, 3), 4, 3, ColorComponents.RedGreenBlue);

    /// <summary>root/{b,a,c}/ with the given files each.</summary>
    private static void Layout(string root, params (string Folder, string[] Files)[] folders)
    {
        foreach (var (folder, files) in folders)
        {
            Directory.CreateDirectory(Path.Combine(root, folder));
            foreach (var f in files)
            {
                var p = Path.Combine(root, folder, f);
                if (ImageFolderDataset.ImageExtensions.Contains(Path.GetExtension(p).ToLowerInvariant())) WriteImage(p);
                else File.WriteAllText(p, "not an image");
            }
        }
    }

    [SharedFact]
    public void Cifar10Test_UsesClassesTxtFromParentFolder()
    {
        var ds = new ImageFolderDataset(SharedData.Path("data", "cifar10", "test"));
        Assert.Equal(Path.Combine(SharedData.Root, "data", "cifar10", "classes.txt"), ds.ClassesFile);
        Assert.Equal(File.ReadAllLines(SharedData.Path("data", "cifar10", "classes.txt")), ds.Classes);
        Assert.Equal(new[] { "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck" }, ds.Classes);
        Assert.Equal(10_000, ds.Count);
        var perClass = Samplers.IndicesByClass(ds).Select(l => l.Length);
        Assert.All(perClass, n => Assert.Equal(1000, n));
        Assert.Equal(Path.Combine(SharedData.Root, "data", "cifar10", "test", "airplane", "0000.jpg"), ds.Describe(0));
        Assert.Equal(3, ds.LabelOf(3000));
        Assert.EndsWith(Path.Combine("cat", "0000.jpg"), ds.Describe(3000));
        Assert.EndsWith(Path.Combine("truck", "0999.jpg"), ds.Describe(9999));
        using var img = ds.LoadImage(3000);
        Assert.Equal(new long[] { 3, 32, 32 }, img.shape);
    }

    [SharedFact]
    public void Gtsrb_NumberedFoldersTakeTheirNamesFromClassesTxt()
    {
        var ds = new ImageFolderDataset(SharedData.Path("data", "gtsrb32", "test"));
        var lines = File.ReadAllLines(SharedData.Path("data", "gtsrb32", "classes.txt"));
        Assert.Equal(43, ds.Classes.Count);
        Assert.Equal(lines, ds.Classes);
        Assert.Equal("speed limit 20", ds.Classes[0]);
        Assert.Equal(2580, ds.Count);
        for (int i = 0; i < ds.Count; i += 97)
            Assert.Equal(int.Parse(Path.GetFileName(Path.GetDirectoryName(ds.Describe(i))!)), ds.LabelOf(i));
    }

    [Fact]
    public void WithoutClassesTxt_FoldersSortedOrdinally_FilesSortedOrdinally_ExtensionsCaseInsensitive()
    {
        using var dir = new TempDir();
        var root = Path.Combine(dir.Path, "train"); // no classes.txt here nor in dir.Path
        Layout(root,
            ("b", new[] { "x.PNG", "a.png", "B.png", "notes.txt" }),
            ("B", new[] { "1.png" }),
            ("a", new[] { "z.jpeg.png", "img.PgM.png" }));
        var ds = new ImageFolderDataset(root);
        Assert.Null(ds.ClassesFile);
        Assert.Equal(new[] { "B", "a", "b" }, ds.Classes); // ordinal: upper case first
        Assert.Equal(6, ds.Count);
        var names = Enumerable.Range(0, ds.Count).Select(i => $"{ds.LabelOf(i)}:{Path.GetFileName(ds.Describe(i))}");
        Assert.Equal(new[] { "0:1.png", "1:img.PgM.png", "1:z.jpeg.png", "2:B.png", "2:a.png", "2:x.PNG" }, names);
    }

    [Fact]
    public void ClassesTxtInRoot_FixesLabelOrder()
    {
        using var dir = new TempDir();
        Layout(dir.Path, ("cat", new[] { "1.png" }), ("dog", new[] { "1.png", "2.png" }), ("ant", new[] { "1.png" }));
        File.WriteAllText(dir.File("classes.txt"), "dog\ncat\nant\n\n");
        var ds = new ImageFolderDataset(dir.Path);
        Assert.Equal(new[] { "dog", "cat", "ant" }, ds.Classes);
        Assert.Equal(new[] { 0, 0, 1, 2 }, Enumerable.Range(0, ds.Count).Select(ds.LabelOf));
    }

    [Fact]
    public void Errors_NameWhatIsWrong()
    {
        using var dir = new TempDir();
        var missing = Path.Combine(dir.Path, "nowhere");
        Assert.Contains(missing, Assert.Throws<DirectoryNotFoundException>(() => new ImageFolderDataset(missing)).Message);

        var flat = Path.Combine(dir.Path, "flat");
        Directory.CreateDirectory(flat);
        WriteImage(Path.Combine(flat, "x.png"));
        Assert.Contains("no class folders", Assert.Throws<InvalidDataException>(() => new ImageFolderDataset(flat)).Message);

        var empty = Path.Combine(dir.Path, "empty");
        Layout(empty, ("cat", new[] { "1.png" }), ("dog", new[] { "readme.txt" }));
        Assert.Contains(Path.Combine(empty, "dog"), Assert.Throws<InvalidDataException>(() => new ImageFolderDataset(empty)).Message);

        var listed = Path.Combine(dir.Path, "listed");
        Layout(listed, ("cat", new[] { "1.png" }), ("dog", new[] { "1.png" }));
        File.WriteAllText(Path.Combine(listed, "classes.txt"), "cat\ndog\nbird\n");
        var e = Assert.Throws<InvalidDataException>(() => new ImageFolderDataset(listed));
        Assert.Contains("'bird'", e.Message);
        Assert.Contains("classes.txt", e.Message);

        var extra = Path.Combine(dir.Path, "extra");
        Layout(extra, ("cat", new[] { "1.png" }), ("dog", new[] { "1.png" }));
        File.WriteAllText(Path.Combine(extra, "classes.txt"), "cat\n");
        Assert.Contains("'dog'", Assert.Throws<InvalidDataException>(() => new ImageFolderDataset(extra)).Message);
    }

    [Fact]
    public void CorruptImage_FailsOnLoadNamingTheFile()
    {
        using var dir = new TempDir();
        Layout(dir.Path, ("cat", new[] { "good.png" }));
        var bad = Path.Combine(dir.Path, "cat", "bad.jpg");
        File.WriteAllText(bad, "not a jpeg");
        var ds = new ImageFolderDataset(dir.Path); // listing does not decode
        Assert.Equal(2, ds.Count);
        Assert.Equal(bad, ds.Describe(0));
        var e = Assert.Throws<InvalidDataException>(() => ds.LoadImage(0).Dispose());
        Assert.Contains(bad, e.Message);
        using var ok = ds.LoadImage(1);
        Assert.Equal(new long[] { 3, 3, 4 }, ok.shape);
    }
}
