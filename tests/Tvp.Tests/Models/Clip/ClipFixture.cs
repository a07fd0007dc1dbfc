using System.Text.Json;
using Tvp.IO;
using Tvp.Models.Clip;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Clip;

/// <summary>Paths and helpers for ../shared/fixtures/tiny-clip.</summary>
internal static class ClipFixture
{
    public static string Folder => SharedData.Path("fixtures", "tiny-clip");
    public static string TokenizerFolder => SharedData.Path("fixtures", "clip-tokenizer");

    public static SafeTensorFile Expected() => new(SharedData.Path("fixtures", "tiny-clip", "expected.safetensors"));

    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        Assert.Equal(b.shape, a.shape);
        using var d = (a.detach().cpu().to_type(ScalarType.Float32) - b.detach().cpu().to_type(ScalarType.Float32)).abs().max();
        return d.item<float>();
    }

    public static void AssertClose(Tensor expected, Tensor actual, double atol, string what, Action<string>? log = null)
    {
        var diff = MaxAbsDiff(actual, expected);
        log?.Invoke($"{what}: max |diff| = {diff:g3}");
        Assert.True(diff <= atol, $"{what}: max |diff| = {diff:g3} > {atol:g3}");
    }
}
