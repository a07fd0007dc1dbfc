using Tvp.IO;
using static TorchSharp.torch;

namespace Tvp.Tests.IO;

public class SafeTensorFileTests
{
    [Fact]
    public void RoundTripsTensorsAndMetadata()
    {
        using var dir = new TempDir();
        var p = dir.File("a.safetensors");
        using var a = arange(6, dtype: ScalarType.Float32).reshape(2, 3);
        using var b = tensor(new long[] { 5, -7 });
        SafeTensorFile.Write(p, new Dictionary<string, Tensor> { ["a"] = a, ["b"] = b }, new Dictionary<string, string> { ["k"] = "v" });
        var f = new SafeTensorFile(p);
        Assert.Equal("v", f.Metadata["k"]);
        using var a2 = f.Read("a");
        Assert.Equal(new long[] { 2, 3 }, a2.shape);
        Assert.Equal(a.data<float>().ToArray(), a2.data<float>().ToArray());
        using var b2 = f.Read("b");
        Assert.Equal(new long[] { 5, -7 }, b2.data<long>().ToArray());
    }

    [Fact]
    public void CorruptHeaderNamesTheFile()
    {
        using var dir = new TempDir();
        var p = dir.File("bad.safetensors");
        File.WriteAllBytes(p, BitConverter.GetBytes(20UL).Concat("{not json at all!!!}"u8.ToArray()).ToArray());
        var e = Assert.Throws<InvalidDataException>(() => new SafeTensorFile(p));
        Assert.Contains("bad.safetensors", e.Message);
        File.WriteAllBytes(p, BitConverter.GetBytes(9999UL).Concat(new byte[10]).ToArray());
        e = Assert.Throws<InvalidDataException>(() => new SafeTensorFile(p));
        Assert.Contains("header length", e.Message);
    }

    [Fact]
    public void PickledCheckpointIsRefused()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("pytorch_model.bin"), new byte[] { 0x80, 0x02 });
        var e = Assert.Throws<NotSupportedException>(() => Checkpoint.Open(dir.Path));
        Assert.Contains("pytorch_model.bin", e.Message);
    }
}
