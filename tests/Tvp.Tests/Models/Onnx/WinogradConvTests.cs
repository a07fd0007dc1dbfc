using Tvp.Models.Onnx;
using Xunit.Abstractions;
using static Tvp.Tests.Models.Onnx.OnnxModelBuilder;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Onnx;

/// <summary>
/// Winograd F(2×2, 3×3) convolutions: against a float64 convolution on odd, even, tiny and non-square images in both
/// memory layouts; which Conv nodes the importer selects; and the selected path against ONNX Runtime and the
/// differentiated (oneDNN) path.
/// </summary>
[Collection(TightNumericsCollection.Name)]
public sealed class WinogradConvTests
{
    private readonly ITestOutputHelper _out;
    public WinogradConvTests(ITestOutputHelper output) => _out = output;

    [Theory]
    [InlineData(2, 16, 24, 7, 7, true, false)]
    [InlineData(1, 8, 8, 6, 9, false, true)]
    [InlineData(3, 5, 12, 1, 1, true, true)]
    [InlineData(2, 32, 16, 2, 5, true, false)]
    [InlineData(2, 16, 8, 2, 2, false, true)]
    [InlineData(1, 3, 4, 11, 4, false, false)]
    public void Forward_matches_a_float64_convolution(int n, int c, int o, int h, int w, bool withBias, bool channelsLast)
    {
        using var scope = NewDisposeScope();
        var gen = new Generator((ulong)(n * 1000 + c * 100 + o * 10 + h + w));
        var x = randn(new long[] { n, c, h, w }, generator: gen);
        var weight = randn(new long[] { o, c, 3, 3 }, generator: gen) / Math.Sqrt(9 * c);
        var bias = withBias ? randn(new long[] { o }, generator: gen) : null;
        var input = channelsLast ? x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2) : x;

        var y = WinogradConv.Forward(input, WinogradConv.Transform(weight), bias);

        var reference = nn.functional.conv2d(x.to(ScalarType.Float64), weight.to(ScalarType.Float64), bias?.to(ScalarType.Float64), padding: new long[] { 1, 1 });
        Assert.Equal(reference.shape, y.shape);
        double err = (y.to(ScalarType.Float64) - reference).abs().max().item<double>();
        double scale = Math.Max(1.0, reference.abs().max().item<double>());
        _out.WriteLine($"[{n},{c},{h},{w}] → {o}: max error {err:E2} (largest |y| {scale:F2})");
        Assert.True(err <= 1e-5 * scale, $"max error {err} at scale {scale}");
        var s = y.stride();
        Assert.True(s[1] == 1 && s[3] == o, "output is not channels-last");
    }

    /// <summary>
    /// x [2,256,6,5] → "wide" 3×3 256→256 (bias) + relu (selected) → { "strided" 3×3 stride 2 256→256 ; "narrow" 3×3
    /// 256→64 ; "dilated" 3×3 dilation 2 256→256 } (none selected).
    /// </summary>
    private static OnnxModelBuilder Model() => new OnnxModelBuilder(13)
        .Input("x", 2, 256, 6, 5)
        .Initializer("w1", FanInScaledWeights(1, 256, 256, 3, 3), 256, 256, 3, 3).Initializer("b1", FanInScaledWeights(2, 256, 1), 256)
        .Initializer("w2", FanInScaledWeights(3, 256, 256, 3, 3), 256, 256, 3, 3)
        .Initializer("w3", FanInScaledWeights(4, 64, 256, 3, 3), 64, 256, 3, 3)
        .Initializer("w4", FanInScaledWeights(5, 256, 256, 3, 3), 256, 256, 3, 3)
        .Node("Conv", new[] { "x", "w1", "b1" }, new[] { "c1" }, Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1))
        .Node("Relu", new[] { "c1" }, new[] { "wide" })
        .Node("Conv", new[] { "wide", "w2" }, new[] { "strided" }, Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1))
        .Node("Conv", new[] { "wide", "w3" }, new[] { "narrow" }, Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1))
        .Node("Conv", new[] { "wide", "w4" }, new[] { "dilated" }, Ints("kernel_shape", 3, 3), Ints("dilations", 2, 2), Ints("pads", 2, 2, 2, 2))
        .Output("wide").Output("strided").Output("narrow").Output("dilated");

    [Fact]
    public void Importer_selects_wide_stride_one_convolutions_and_matches_onnx_runtime_both_ways()
    {
        using var scope = NewDisposeScope();
        var bytes = Model().Bytes;
        using var graph = OnnxGraph.Load(new MemoryStream(bytes), "wide.onnx");
        using var ort = new OrtReference(bytes);
        Assert.Equal(1, graph.WinogradConvs);
        string[] outputs = { "wide", "strided", "narrow", "dilated" };
        var x = randn(new long[] { 2, 256, 6, 5 }, generator: new Generator(9));
        var reference = ort.Run(new Dictionary<string, Tensor> { ["x"] = x }, outputs);

        Dictionary<string, Tensor> inference;
        using (no_grad()) inference = graph.Run(new Dictionary<string, Tensor> { ["x"] = x }, outputs);
        var tracked = graph.Run(new Dictionary<string, Tensor> { ["x"] = x.clone().requires_grad_(true) }, outputs);
        foreach (var name in outputs)
        {
            double scale = Math.Max(1.0, reference[name].abs().max().item<float>());
            double dInference = OrtReference.MaxAbsDiff(inference[name], reference[name]);
            double dTracked = OrtReference.MaxAbsDiff(tracked[name], reference[name]);
            _out.WriteLine($"{name}: no grad {dInference:E2}, grad {dTracked:E2} (largest |ORT| {scale:F2})");
            Assert.True(dInference <= 1e-4 * scale, $"{name} without a graph: max abs diff {dInference}");
            Assert.True(dTracked <= 1e-4 * scale, $"{name} with a graph: max abs diff {dTracked}");
            Assert.True(inference[name].is_contiguous(), $"{name}: output is not in the standard layout");
        }
        Assert.True(inference["wide"].min().item<float>() >= 0f, "the fused ReLU did not run on the Winograd output");
    }

    [Fact]
    public void Input_with_the_wrong_width_is_a_one_line_error_naming_the_node()
    {
        using var scope = NewDisposeScope();
        using var graph = OnnxGraph.Load(new MemoryStream(Model().Bytes), "wide.onnx");
        using var _ = no_grad();
        var e = Assert.ThrowsAny<Exception>(() => graph.Run(new Dictionary<string, Tensor> { ["x"] = randn(2, 128, 6, 5) }, new[] { "wide" }));
        _out.WriteLine(e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("wide.onnx", e.Message);
        Assert.Contains("128", e.Message);
    }

    [Theory]
    [InlineData(256, 256, true)]
    [InlineData(512, 512, true)]
    [InlineData(256, 512, true)]
    [InlineData(128, 128, true)]
    [InlineData(64, 64, false)]
    [InlineData(64, 1024, false)]
    public void Selection_rule_weighs_products_against_transforms(long inChannels, long outChannels, bool pays) =>
        Assert.Equal(pays, WinogradConv.Pays(inChannels, outChannels));
}
