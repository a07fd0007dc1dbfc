using System.IO.Compression;
using Tvp.Data;

namespace Tvp.Tests.Data;

public class IdxDatasetTests
{
    private const string FashionMnistFolder = "/usr/share/datasets/fashion-mnist";

    private static byte[] Header(int magic, params int[] dims)
    {
        var bytes = new List<byte> { 0, 0, 8, (byte)magic };
        foreach (var d in dims) bytes.AddRange(new[] { (byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d });
        return bytes.ToArray();
    }

    private static void Write(string path, byte[] bytes, bool gzip)
    {
        if (!gzip) { File.WriteAllBytes(path, bytes); return; }
        using var f = File.Create(path);
        using var z = new GZipStream(f, CompressionLevel.Fastest);
        z.Write(bytes);
    }

    /// <summary>n images of 3×2 pixels, pixel value = 10·image + position; labels = image mod 3.</summary>
    private static (string Images, string Labels) Tiny(TempDir dir, int n, bool gzip, string prefix = "tiny")
    {
        var pixels = Enumerable.Range(0, n).SelectMany(i => Enumerable.Range(0, 6).Select(p => (byte)(10 * i + p)));
        var images = dir.File(prefix + "-images-idx3-ubyte" + (gzip ? ".gz" : ""));
        var labels = dir.File(prefix + "-labels-idx1-ubyte" + (gzip ? ".gz" : ""));
        Write(images, Header(3, n, 3, 2).Concat(pixels).ToArray(), gzip);
        Write(labels, Header(1, n).Concat(Enumerable.Range(0, n).Select(i => (byte)(i % 3))).ToArray(), gzip);
        return (images, labels);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TinyFiles_RawOrGzip_DecodeToThreeChannelGrey(bool gzip)
    {
        using var dir = new TempDir();
        var (images, labels) = Tiny(dir, 5, gzip);
        var ds = new IdxDataset(images, labels);
        Assert.Equal(5, ds.Count);
        Assert.Equal(new[] { "0", "1", "2" }, ds.Classes);
        Assert.Equal(new[] { 0, 1, 2, 0, 1 }, Enumerable.Range(0, 5).Select(ds.LabelOf));
        using var img = ds.LoadImage(4);
        Assert.Equal(new long[] { 3, 3, 2 }, img.shape);
        var expected = Enumerable.Range(0, 6).Select(p => (40 + p) / 255f).ToArray();
        for (int c = 0; c < 3; c++) Assert.Equal(expected, img[c].contiguous().data<float>().ToArray());
        Assert.Equal($"{images}#4", ds.Describe(4));
    }

    [Fact]
    public void FromFolder_FindsStandardNames()
    {
        using var dir = new TempDir();
        Tiny(dir, 4, gzip: true, prefix: "t10k");
        Tiny(dir, 7, gzip: false, prefix: "train");
        var test = IdxDataset.FashionMnist(dir.Path, train: false);
        var train = IdxDataset.Mnist(dir.Path, train: true);
        Assert.Equal(4, test.Count);
        Assert.Equal(7, train.Count);
        Assert.Equal("Ankle boot", test.Classes[9]);
        Assert.Equal("9", train.Classes[9]);
        var sub = Path.Combine(dir.Path, "sub");
        Assert.Contains(sub, Assert.Throws<DirectoryNotFoundException>(() => IdxDataset.FashionMnist(sub, train: true)).Message);
        Directory.CreateDirectory(sub);
        Assert.Contains("train-images-idx3-ubyte", Assert.Throws<FileNotFoundException>(() => IdxDataset.FashionMnist(sub, train: true)).Message);
    }

    [Fact]
    public void BadFiles_ErrorsNameTheFile()
    {
        using var dir = new TempDir();
        var (images, labels) = Tiny(dir, 3, gzip: false);

        void Expect(string file, byte[] bytes, string fragment, bool imagesFile = true)
        {
            var path = dir.File(file);
            File.WriteAllBytes(path, bytes);
            var e = Assert.Throws<InvalidDataException>(() => imagesFile ? new IdxDataset(path, labels) : new IdxDataset(images, path, new[] { "a", "b", "c" }));
            Assert.Contains(path, e.Message);
            Assert.True(e.Message.Contains(fragment), e.Message);
        }

        Expect("magic", new byte[] { 0x12, 0x34, 8, 3, 0, 0, 0, 0 }, "not an IDX file");
        Expect("rank", Header(1, 3).Concat(new byte[3]).ToArray(), "dimensions");                    // labels file given as images
        Expect("type", new byte[] { 0, 0, 0x0d, 3 }.Concat(Header(3, 1, 1, 1)[4..]).Concat(new byte[4]).ToArray(), "unsigned byte");
        Expect("short", Header(3, 3, 3, 2).Concat(new byte[17]).ToArray(), "truncated");
        Expect("long", Header(3, 3, 3, 2).Concat(new byte[19]).ToArray(), "needs 18");
        Expect("count", Header(3, 4, 3, 2).Concat(new byte[24]).ToArray(), "4 images");
        Expect("gz", new byte[] { 0x1f, 0x8b, 8, 0, 1, 2, 3 }, "gzip");
        Expect("badlabel", Header(1, 3).Concat(new byte[] { 0, 1, 10 }).ToArray(), "label 10", imagesFile: false);
        var missing = dir.File("missing");
        Assert.Equal(missing, Assert.Throws<FileNotFoundException>(() => new IdxDataset(missing, labels)).FileName);
    }

    [PathFact(FashionMnistFolder, "apt-get install dataset-fashion-mnist")]
    public void FashionMnist_DebianPackage()
    {
        // Reference values read from the files independently (Python gzip): counts, first labels, pixels of image 0.
        var test = IdxDataset.FashionMnist(FashionMnistFolder, train: false);
        Assert.EndsWith("t10k-images-idx3-ubyte.gz", test.ImagesFile);
        Assert.Equal(10_000, test.Count);
        Assert.Equal(IdxDataset.FashionMnistClasses, test.Classes);
        Assert.Equal(new[] { 9, 2, 1, 1, 6, 1, 4, 6, 5, 7 }, Enumerable.Range(0, 10).Select(test.LabelOf));
        Assert.All(Samplers.IndicesByClass(test), c => Assert.Equal(1000, c.Length));
        using var img = test.LoadImage(0);
        Assert.Equal(new long[] { 3, 28, 28 }, img.shape);
        Assert.Equal(110 / 255f, img[1, 14, 14].item<float>(), 6);
        Assert.Equal(33456, (double)(img[0].sum().item<float>() * 255f), 1);
    }
}
