using Tvp.Models.Onnx;
using Xunit.Abstractions;
using static Tvp.Tests.Models.Onnx.OnnxModelBuilder;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Onnx;

/// <summary>Small hand-built graphs of common ops, each checked against ONNX Runtime.</summary>
public sealed class OnnxOpsTests
{
    private readonly ITestOutputHelper _out;
    public OnnxOpsTests(ITestOutputHelper output) => _out = output;

    private static float[] Random(ulong seed, params long[] shape)
    {
        var gen = new TorchSharp.torch.Generator(seed);
        using var t = randn(shape, generator: gen);
        return t.data<float>().ToArray();
    }

    /// <summary>Runs the model with the importer and with ONNX Runtime and compares every output (max abs diff ≤ 1e-4).</summary>
    private Dictionary<string, Tensor> MatchOrt(OnnxModelBuilder model, Dictionary<string, Tensor> inputs, params string[] outputs)
    {
        var bytes = model.Bytes;
        using var graph = OnnxGraph.Load(new MemoryStream(bytes), "test.onnx");
        using var ort = new OrtReference(bytes);
        var reference = ort.Run(inputs, outputs);
        Dictionary<string, Tensor> ours;
        using (no_grad()) ours = graph.Run(inputs, outputs);
        foreach (var name in outputs)
        {
            var diff = OrtReference.MaxAbsDiff(ours[name], reference[name]);
            _out.WriteLine($"{name} [{string.Join(",", ours[name].shape)}]: max |ours - ORT| = {diff:E2}");
            Assert.True(diff <= 1e-4, $"{name}: max abs diff {diff}");
        }
        return ours;
    }

    private static OnnxModelBuilder ConvNet() => new OnnxModelBuilder(13)
        .Input("x", 2, 3, 9, 9)
        .RawFloats("w", Random(1, 4, 3, 3, 3), 4, 3, 3, 3)
        .Initializer("b", Random(2, 4), 4)
        .Initializer("gamma", new[] { 1f, 0.5f, 2f, 1.5f }, 4)
        .Initializer("beta", new[] { 0.1f, -0.2f, 0f, 0.3f }, 4)
        .Initializer("mu", new[] { 0.2f, 0f, -0.1f, 0.05f }, 4)
        .Initializer("var", new[] { 1f, 2f, 0.5f, 1.2f }, 4)
        .Initializer("fc", Random(3, 5, 16), 5, 16)
        .Initializer("fcb", Random(4, 5), 5)
        .Node("Conv", new[] { "x", "w", "b" }, new[] { "conv" }, Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 0, 0))
        .Node("BatchNormalization", new[] { "conv", "gamma", "beta", "mu", "var" }, new[] { "bn" }, Float("epsilon", 1e-3f))
        .Node("Relu", new[] { "bn" }, new[] { "relu" })
        .Node("MaxPool", new[] { "relu" }, new[] { "pool" }, Ints("kernel_shape", 2, 2), Ints("strides", 1, 1), Ints("pads", 0, 0, 1, 1))
        .Node("AveragePool", new[] { "pool" }, new[] { "avg" }, Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1), Int("count_include_pad", 0))
        .Node("Flatten", new[] { "avg" }, new[] { "flat" }, Int("axis", 1))
        .Node("Gemm", new[] { "flat", "fc", "fcb" }, new[] { "logits" }, Int("transB", 1), Float("alpha", 0.5f))
        .Node("Softmax", new[] { "logits" }, new[] { "probs" }, Int("axis", 1))
        .Output("logits").Output("probs");

    [Fact]
    public void ConvBatchNormReluPoolGemmSoftmaxMatchOnnxRuntime()
    {
        using var scope = NewDisposeScope();
        var x = tensor(Random(5, 2, 3, 9, 9), new long[] { 2, 3, 9, 9 });
        MatchOrt(ConvNet(), new() { ["x"] = x }, "logits", "probs");
    }

    [Fact]
    public void GradientFlowsThroughTheConvNet()
    {
        using var scope = NewDisposeScope();
        using var graph = OnnxGraph.FromModel(ConvNet().Model, "convnet");
        var x = tensor(Random(5, 2, 3, 9, 9), new long[] { 2, 3, 9, 9 }).requires_grad_(true);
        var logits = graph.Run(new Dictionary<string, Tensor> { ["x"] = x }, new[] { "logits" })["logits"];
        logits.sum().backward();
        Assert.NotNull(x.grad);
        Assert.True(x.grad!.abs().sum().item<float>() > 0);
        Assert.True(isfinite(x.grad).all().item<bool>());
    }

    [Fact]
    public void ResizeModesMatchOnnxRuntime()
    {
        using var scope = NewDisposeScope();
        var model = new OnnxModelBuilder(13)
            .Input("x", 1, 2, 5, 7)
            .Initializer("up", new[] { 1f, 1f, 2f, 1.5f }, 4)
            .Int64s("small", 1, 2, 3, 4)
            .Node("Resize", new[] { "x", "", "up" }, new[] { "linear_half_pixel" }, Str("mode", "linear"))
            .Node("Resize", new[] { "x", "", "", "small" }, new[] { "linear_down" }, Str("mode", "linear"))
            .Node("Resize", new[] { "x", "", "up" }, new[] { "linear_align" }, Str("mode", "linear"), Str("coordinate_transformation_mode", "align_corners"))
            .Node("Resize", new[] { "x", "", "up" }, new[] { "nearest_default" }, Str("mode", "nearest"))
            .Node("Resize", new[] { "x", "", "", "small" }, new[] { "nearest_asym_floor" }, Str("mode", "nearest"), Str("coordinate_transformation_mode", "asymmetric"), Str("nearest_mode", "floor"))
            .Node("Resize", new[] { "x", "", "up" }, new[] { "cubic" }, Str("mode", "cubic"))
            .Node("Resize", new[] { "x", "", "", "small" }, new[] { "cubic_exclude" }, Str("mode", "cubic"), Int("exclude_outside", 1), Float("cubic_coeff_a", -0.5f))
            .Output("linear_half_pixel").Output("linear_down").Output("linear_align").Output("nearest_default").Output("nearest_asym_floor").Output("cubic").Output("cubic_exclude");
        var x = tensor(Random(6, 1, 2, 5, 7), new long[] { 1, 2, 5, 7 });
        var ours = MatchOrt(model, new() { ["x"] = x },
            "linear_half_pixel", "linear_down", "linear_align", "nearest_default", "nearest_asym_floor", "cubic", "cubic_exclude");
        Assert.Equal(new long[] { 1, 2, 10, 10 }, ours["linear_half_pixel"].shape);
        Assert.Equal(new long[] { 1, 2, 3, 4 }, ours["linear_down"].shape);
    }

    [Fact]
    public void PadConcatClipAndShapeOpsMatchOnnxRuntime()
    {
        using var scope = NewDisposeScope();
        var model = new OnnxModelBuilder(13)
            .Input("x", 2, 3, 4, 5)
            .Int64s("pads", 0, 0, 1, 2, 0, 0, 2, 1)
            .Int64s("rpads", 0, 0, 1, 1, 0, 0, 2, 1)
            .Initializer("padval", new[] { -0.5f })
            .Initializer("lo", new[] { -0.3f })
            .Initializer("hi", new[] { 0.4f })
            .Int64s("shape", 0, -1)
            .Int64s("starts", 3, 1)
            .Int64s("ends", -100, 4)
            .Int64s("axes", 3, 2)
            .Int64s("steps", -2, 2)
            .Int64s("idx", 2, 0, -1)
            .Int64s("split", 1, 2)
            .Int64s("raxes", 2, 3)
            .Node("Pad", new[] { "x", "pads", "padval" }, new[] { "padded" })
            .Node("Pad", new[] { "x", "rpads" }, new[] { "reflected" }, Str("mode", "reflect"))
            .Node("Pad", new[] { "x", "rpads" }, new[] { "edged" }, Str("mode", "edge"))
            .Node("Clip", new[] { "x", "lo", "hi" }, new[] { "clipped" })
            .Node("Sigmoid", new[] { "x" }, new[] { "sig" })
            .Node("Concat", new[] { "clipped", "sig" }, new[] { "cat" }, Int("axis", 1))
            .Node("Transpose", new[] { "cat" }, new[] { "perm" }, Ints("perm", 0, 2, 3, 1))
            .Node("Reshape", new[] { "perm", "shape" }, new[] { "reshaped" })
            .Node("Softmax", new[] { "reshaped" }, new[] { "soft" }, Int("axis", -1))
            .Node("Slice", new[] { "x", "starts", "ends", "axes", "steps" }, new[] { "sliced" })
            .Node("Gather", new[] { "x", "idx" }, new[] { "gathered" }, Int("axis", 1))
            .Node("Split", new[] { "x", "split" }, new[] { "s0", "s1" }, Int("axis", 1))
            .Node("ReduceMean", new[] { "s1" }, new[] { "rmean" }, Ints("axes", 2, 3), Int("keepdims", 0))
            .Node("ReduceSum", new[] { "s0", "raxes" }, new[] { "rsum" })
            .Node("Mul", new[] { "rmean", "rmean" }, new[] { "sq" })
            .Node("Sqrt", new[] { "sq" }, new[] { "root" })
            .Node("Div", new[] { "root", "hi" }, new[] { "quot" })
            .Output("padded").Output("reflected").Output("edged").Output("soft").Output("sliced").Output("gathered").Output("rsum").Output("quot");
        var x = tensor(Random(8, 2, 3, 4, 5), new long[] { 2, 3, 4, 5 });
        MatchOrt(model, new() { ["x"] = x }, "padded", "reflected", "edged", "soft", "sliced", "gathered", "rsum", "quot");
    }

    [Fact]
    public void LayerNormalizationMatMulErfAndGlobalPoolMatchOnnxRuntime()
    {
        using var scope = NewDisposeScope();
        var model = new OnnxModelBuilder(17)
            .Input("x", 2, 3, 8)
            .Initializer("g", Random(9, 8), 8)
            .Initializer("b", Random(10, 8), 8)
            .Initializer("w", Random(11, 8, 6), 8, 6)
            .Node("LayerNormalization", new[] { "x", "g", "b" }, new[] { "ln" }, Float("epsilon", 1e-5f))
            .Node("MatMul", new[] { "ln", "w" }, new[] { "mm" })
            .Node("Erf", new[] { "mm" }, new[] { "erf" })
            .Node("Tanh", new[] { "erf" }, new[] { "out" })
            .Node("GlobalAveragePool", new[] { "x" }, new[] { "gap" })
            .Output("out").Output("gap");
        var x = tensor(Random(12, 2, 3, 8), new long[] { 2, 3, 8 });
        MatchOrt(model, new() { ["x"] = x }, "out", "gap");
    }

    [Fact]
    public void UnsupportedOpIsReportedByNameAndNode()
    {
        var model = new OnnxModelBuilder(13)
            .Input("x", 1, 4)
            .Node("Relu", new[] { "x" }, new[] { "r" })
            .Node("FancyWarp", new[] { "r" }, new[] { "y" })
            .Output("y");
        model.Model.Graph.Node[1].Name = "warp_layer_3";
        var e = Assert.Throws<NotSupportedException>(() => OnnxGraph.Load(new MemoryStream(model.Bytes), "fancy.onnx"));
        Assert.StartsWith("ONNX op 'FancyWarp' (node 'warp_layer_3') in fancy.onnx is not supported; supported: ", e.Message);
        Assert.Contains("Conv", e.Message);
        Assert.Contains("Resize", e.Message);
    }

    [Fact]
    public void MatMulShapeMismatchIsAnErrorNotACrash()
    {
        var model = new OnnxModelBuilder(13).Input("x", 2, 3).Initializer("w", new float[20], 4, 5)
            .Node("MatMul", new[] { "x", "w" }, new[] { "y" }).Output("y");
        model.Model.Graph.Node[0].Name = "proj";
        using var graph = OnnxGraph.FromModel(model.Model, "bad.onnx");
        using var x = zeros(2, 3);
        var e = Assert.Throws<InvalidDataException>(() => graph.Run(new Dictionary<string, Tensor> { ["x"] = x }));
        Assert.Equal("ONNX op 'MatMul' (node 'proj') in bad.onnx: matrix shapes do not match: [2,3] × [4,5]", e.Message);
    }

    [Fact]
    public void MissingInputAndUnknownOutputAreClearErrors()
    {
        var model = new OnnxModelBuilder(13).Input("x", 1, 4).Node("Relu", new[] { "x" }, new[] { "y" }).Output("y");
        using var graph = OnnxGraph.FromModel(model.Model, "tiny.onnx");
        var missing = Assert.Throws<ArgumentException>(() => graph.Run(new Dictionary<string, Tensor>()));
        Assert.Contains("input 'x' is required", missing.Message);
        using var x = zeros(1, 4);
        var unknown = Assert.Throws<ArgumentException>(() => graph.Run(new Dictionary<string, Tensor> { ["x"] = x }, new[] { "nope" }));
        Assert.Contains("no value named 'nope'", unknown.Message);
    }
}
