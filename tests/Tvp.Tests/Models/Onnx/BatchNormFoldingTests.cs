using Tvp.Models.Onnx;
using static TorchSharp.torch;
using static Tvp.Tests.Models.Onnx.OnnxModelBuilder;

namespace Tvp.Tests.Models.Onnx;

/// <summary>Conv + BatchNormalization pairs are folded into one Conv at import; values and input gradients are unchanged.</summary>
[Collection(TightNumericsCollection.Name)]
public class BatchNormFoldingTests
{
    private static float[] Random(int seed, params long[] shape)
    {
        var g = new Generator((ulong)seed);
        using var t = randn(shape, generator: g);
        return t.data<float>().ToArray();
    }

    private static float[] Positive(int seed, long n) => Random(seed, n).Select(v => 0.5f + MathF.Abs(v)).ToArray();

    /// <summary>conv1 (bias) → BN1 → Relu → conv2 (no bias) → BN2; conv3 → BN3 where conv3's output is also a graph output (kept).</summary>
    private static OnnxModelBuilder Net() => new OnnxModelBuilder()
        .Input("x", 2, 3, 8, 8)
        // 16 channels after the 3×3 conv, not 4: on the build VM oneDNN's input gradient of a 3→4-channel 3×3 conv is
        // wrong in single-threaded calls (a parallel test run makes some), which made this test fail 1 run in 3
        // although the folding was right (README, "Known problem: oneDNN convolution gradients").
        .Initializer("w1", Random(1, 16, 3, 3, 3), 16, 3, 3, 3).Initializer("b1", Random(2, 16), 16)
        .Initializer("g1", Positive(3, 16), 16).Initializer("be1", Random(4, 16), 16).Initializer("m1", Random(5, 16), 16).Initializer("v1", Positive(6, 16), 16)
        .Initializer("w2", Random(7, 5, 16, 1, 1), 5, 16, 1, 1)
        .Initializer("g2", Positive(8, 5), 5).Initializer("be2", Random(9, 5), 5).Initializer("m2", Random(10, 5), 5).Initializer("v2", Positive(11, 5), 5)
        .Initializer("w3", Random(12, 2, 5, 1, 1), 2, 5, 1, 1)
        .Initializer("g3", Positive(13, 2), 2).Initializer("be3", Random(14, 2), 2).Initializer("m3", Random(15, 2), 2).Initializer("v3", Positive(16, 2), 2)
        .Node("Conv", new[] { "x", "w1", "b1" }, new[] { "c1" }, Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1))
        .Node("BatchNormalization", new[] { "c1", "g1", "be1", "m1", "v1" }, new[] { "n1" }, Float("epsilon", 1e-3f))
        .Node("Relu", new[] { "n1" }, new[] { "r1" })
        .Node("Conv", new[] { "r1", "w2" }, new[] { "c2" }, Ints("kernel_shape", 1, 1))
        .Node("BatchNormalization", new[] { "c2", "g2", "be2", "m2", "v2" }, new[] { "n2" })
        .Node("Conv", new[] { "n2", "w3" }, new[] { "c3" }, Ints("kernel_shape", 1, 1))
        .Node("BatchNormalization", new[] { "c3", "g3", "be3", "m3", "v3" }, new[] { "n3" })
        .Output("n3").Output("c3");

    /// <summary>The same network written with TorchSharp ops directly (no folding).</summary>
    private static Tensor Reference(Tensor x, Func<string, Tensor> p)
    {
        // BN written out (the definition), independent of libtorch's batch_norm kernel.
        Tensor Bn(Tensor y, string k, double eps) =>
            (y - p("m" + k).view(1, -1, 1, 1)) / (p("v" + k).view(1, -1, 1, 1) + eps).sqrt() * p("g" + k).view(1, -1, 1, 1) + p("be" + k).view(1, -1, 1, 1);
        var r1 = nn.functional.relu(Bn(nn.functional.conv2d(x, p("w1"), p("b1"), padding: new long[] { 1, 1 }), "1", 1e-3));
        var n2 = Bn(nn.functional.conv2d(r1, p("w2")), "2", 1e-5);
        return Bn(nn.functional.conv2d(n2, p("w3")), "3", 1e-5);
    }

    [Fact]
    public void Conv_batchnorm_pairs_fold_and_give_the_same_values_and_input_gradients()
    {
        using var scope = NewDisposeScope();
        var builder = Net();
        using var graph = OnnxGraph.FromModel(builder.Model, "bn-net");
        Assert.Equal(2, graph.FoldedBatchNorms);                 // the third BN's conv output is a graph output: not folded
        Assert.Equal(1, graph.FusedRelus);                       // conv1+bn1 then takes the relu
        Assert.Equal(4, graph.NodeCount);                        // conv1+bn1+relu, conv2+bn2, conv3, bn3
        var parameters = builder.Model.Graph.Initializer.ToDictionary(i => i.Name, i => tensor(i.FloatData.ToArray(), i.Dims.ToArray()));
        var x = tensor(Random(20, 2, 3, 8, 8), new long[] { 2, 3, 8, 8 }).requires_grad_(true);
        var got = graph.Run(new Dictionary<string, Tensor> { ["x"] = x }, new[] { "n3" })["n3"];
        var xr = x.detach().clone().requires_grad_(true);
        var want = Reference(xr, k => parameters[k]);
        Assert.True((got - want).abs().max().item<float>() < 1e-4f, $"values differ by {(got - want).abs().max().item<float>()}");
        var weights = randn(want.shape, generator: new Generator(21));
        (got * weights).sum().backward();
        (want * weights).sum().backward();
        // Relative to the gradient's size: folding reorders float32 arithmetic, and the rounding grows with the magnitude
        // (a wrong fold is off by O(1) of it).
        float gradDiff = (x.grad! - xr.grad!).abs().max().item<float>(), gradScale = Math.Max(1f, xr.grad!.abs().max().item<float>());
        Assert.True(gradDiff < 1e-4f * gradScale,
            $"input gradients differ by {gradDiff} (largest gradient {gradScale}; NaNs: imported {isnan(x.grad!).sum().item<long>()}, reference {isnan(xr.grad!).sum().item<long>()})");
    }
}

/// <summary>
/// Gradient comparisons at tight tolerances run without neighbours: in a parallel full run the BN-folding gradient check
/// once exceeded an absolute 1e-4 while passing alone (cause not pinned down; oneDNN picks kernels by load).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TightNumericsCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "tight numerics (runs alone)";
}
