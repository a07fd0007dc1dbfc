using Tvp.IO;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Blip2;

/// <summary>Compares tensors with a fixture's expected.safetensors, records every max abs difference, prints them and fails on any above the tolerance.</summary>
internal sealed class GoldenComparison(Checkpoint expected, ITestOutputHelper output, double tolerance = 1e-4)
{
    private readonly List<(string Name, double Diff)> _diffs = new();

    /// <summary>Compares <paramref name="actual"/> with the expected tensor <paramref name="name"/> (shapes must match).</summary>
    public void Check(string name, Tensor actual)
    {
        var exp = expected.ReadFloat(name);
        Assert.True(exp.shape.SequenceEqual(actual.shape), $"{name}: shape [{string.Join(",", actual.shape)}], expected [{string.Join(",", exp.shape)}]");
        _diffs.Add((name, (actual.to(ScalarType.Float64) - exp.to(ScalarType.Float64)).abs().max().item<double>()));
    }

    /// <summary>Integer tensors must be equal.</summary>
    public void CheckExact(string name, Tensor actual)
    {
        var exp = expected.Read(name);
        Assert.Equal(exp.shape, actual.shape);
        _diffs.Add((name, (actual.to(ScalarType.Float64) - exp.to(ScalarType.Float64)).abs().max().item<double>()));
    }

    /// <summary>Compares a [B,C] array of doubles with an expected tensor.</summary>
    public void Check(string name, double[,] actual)
    {
        int b = actual.GetLength(0), c = actual.GetLength(1);
        var flat = new double[b * c];
        for (int i = 0; i < b; i++) for (int j = 0; j < c; j++) flat[i * c + j] = actual[i, j];
        Check(name, tensor(flat, new long[] { b, c }));
    }

    /// <summary>Prints every difference and asserts all are within the tolerance.</summary>
    public void AssertAll()
    {
        foreach (var (n, d) in _diffs) output.WriteLine($"{n,-45} max abs diff {d:E2}");
        var bad = _diffs.Where(x => !(x.Diff <= tolerance)).ToArray();
        Assert.True(bad.Length == 0, "above tolerance: " + string.Join(", ", bad.Select(x => $"{x.Name} {x.Diff:E2}")));
        Assert.NotEmpty(_diffs);
    }

    /// <summary>Rows of an I64 [B,T] tensor as int arrays, dropping -100 entries.</summary>
    public static int[][] Rows(Tensor ids) =>
        Enumerable.Range(0, (int)ids.shape[0]).Select(i => ids[i].data<long>().Where(v => v != -100).Select(v => (int)v).ToArray()).ToArray();
}
