using Tvp.Models.Onnx;
using Xunit.Abstractions;
using static Tvp.Tests.Models.Onnx.OnnxModelBuilder;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Onnx;

/// <summary>
/// The importer's inference path (no gradient tracked: channels-last k×k convolutions, 1×1 convolutions as matrix
/// products, ReLU fused in place) against ONNX Runtime, and the differentiated path (NCHW, out-of-place ReLU) against
/// ONNX Runtime and finite differences, on a residual block with the shapes where oneDNN's channels-last 1×1 kernel
/// went wrong on the 2-core EPYC VM (256→512 channels, stride 2, 14×14 → 7×7).
/// </summary>
[Collection(TightNumericsCollection.Name)]
public sealed class OnnxInferenceLayoutTests
{
    private readonly ITestOutputHelper _out;
    public OnnxInferenceLayoutTests(ITestOutputHelper output) => _out = output;

    /// <summary>
    /// x [2,8,14,14] → conv 3×3 8→256 (bias) → relu → { 1×1 stride-2 conv 256→512 "down" ; 3×3 stride-2 conv 256→512 → relu }
    /// → add → relu → depthwise 3×3 conv (group 512) → max pool 3×3 stride 2 → global average pool "y".
    /// </summary>
    private static OnnxModelBuilder Block() => new OnnxModelBuilder(13)
        .Input("x", 2, 8, 14, 14)
        .Initializer("w1", FanInScaledWeights(1, 256, 8, 3, 3), 256, 8, 3, 3).Initializer("b1", FanInScaledWeights(2, 256, 1), 256)
        .Initializer("wd", FanInScaledWeights(3, 512, 256, 1, 1), 512, 256, 1, 1)
        .Initializer("w2", FanInScaledWeights(4, 512, 256, 3, 3), 512, 256, 3, 3).Initializer("b2", FanInScaledWeights(5, 512, 1), 512)
        .Initializer("wdw", FanInScaledWeights(6, 512, 1, 3, 3), 512, 1, 3, 3)
        .Node("Conv", new[] { "x", "w1", "b1" }, new[] { "c1" }, Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1))
        .Node("Relu", new[] { "c1" }, new[] { "r1" })
        .Node("Conv", new[] { "r1", "wd" }, new[] { "down" }, Ints("kernel_shape", 1, 1), Ints("strides", 2, 2))
        .Node("Conv", new[] { "r1", "w2", "b2" }, new[] { "c2" }, Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1))
        .Node("Relu", new[] { "c2" }, new[] { "r2" })
        .Node("Add", new[] { "down", "r2" }, new[] { "sum" })
        .Node("Relu", new[] { "sum" }, new[] { "r3" })
        .Node("Conv", new[] { "r3", "wdw" }, new[] { "dw" }, Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1), Int("group", 512))
        .Node("MaxPool", new[] { "dw" }, new[] { "pool" }, Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1))
        .Node("GlobalAveragePool", new[] { "pool" }, new[] { "y" })
        .Output("y").Output("down").Output("dw");

    private static readonly string[] Compared = { "y", "down", "dw" };

    private void AssertMatches(Dictionary<string, Tensor> ours, Dictionary<string, Tensor> reference, string path)
    {
        foreach (var name in Compared)
        {
            var diff = OrtReference.MaxAbsDiff(ours[name], reference[name]);
            double scale = Math.Max(1.0, reference[name].abs().max().item<float>());
            _out.WriteLine($"{path} {name} [{string.Join(",", ours[name].shape)}]: max |ours - ORT| = {diff:E2} (largest |ORT| {scale:F2})");
            Assert.True(diff <= 1e-4 * scale, $"{path} {name}: max abs diff {diff} (largest value {scale})");
            Assert.True(ours[name].is_contiguous(), $"{path} {name}: output is not in the standard layout");
        }
    }

    [Fact]
    public void Inference_layout_and_fusions_match_onnx_runtime_and_the_differentiated_path()
    {
        using var scope = NewDisposeScope();
        var bytes = Block().Bytes;
        using var graph = OnnxGraph.Load(new MemoryStream(bytes), "block.onnx");
        using var ort = new OrtReference(bytes);
        Assert.Equal(3, graph.FusedRelus);          // conv1+relu, conv2+relu, add+relu
        Assert.Equal(2, graph.ChannelsLastWeights); // the group-1 3×3 weights; not the 1×1, not the depthwise one
        var x = randn(new long[] { 2, 8, 14, 14 }, generator: new Generator(7));
        var reference = ort.Run(new Dictionary<string, Tensor> { ["x"] = x }, Compared);

        Dictionary<string, Tensor> inference;
        using (no_grad()) inference = graph.Run(new Dictionary<string, Tensor> { ["x"] = x }, Compared);
        AssertMatches(inference, reference, "no grad");

        var xg = x.clone().requires_grad_(true);
        var tracked = graph.Run(new Dictionary<string, Tensor> { ["x"] = xg }, Compared);
        AssertMatches(tracked, reference, "grad");

        // Gradient of Σ y·r against central differences at the two inputs with the largest gradient.
        var r = randn(tracked["y"].shape, generator: new Generator(8));
        (tracked["y"] * r).sum().backward();
        var flat = xg.grad!.flatten();
        var top = flat.abs().topk(2).indexes.data<long>().ToArray();
        const float eps = 1e-2f;
        using var _ = no_grad();
        foreach (var k in top)
        {
            double Loss(float delta)
            {
                var probe = x.clone();
                probe.view(-1)[k] += delta;
                var y = graph.Run(new Dictionary<string, Tensor> { ["x"] = probe }, new[] { "y" })["y"];
                return (y.to_type(ScalarType.Float64) * r.to_type(ScalarType.Float64)).sum().item<double>();
            }
            double fd = (Loss(eps) - Loss(-eps)) / (2 * eps), analytic = flat[k].item<float>();
            _out.WriteLine($"input {k}: autograd {analytic:F5}, finite difference {fd:F5}");
            Assert.True(Math.Abs(fd - analytic) <= 0.05 * Math.Abs(analytic) + 1e-3, $"input {k}: autograd {analytic} vs finite difference {fd}");
        }
    }
}
