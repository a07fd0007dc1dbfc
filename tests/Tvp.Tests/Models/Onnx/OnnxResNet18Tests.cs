using Tvp.Data;
using Tvp.Models;
using Tvp.Models.Onnx;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Onnx;

/// <summary>The NuGet ResNet-18 (CNTK export, opset 8) loaded once for the class: imported model and ONNX Runtime.</summary>
public sealed class ResNet18Fixture : IDisposable
{
    internal OnnxImagePromptable Model { get; } = OnnxImagePromptable.ResNet18Features(CPU);
    internal OrtReference Preprocess { get; } = new(OnnxAssets.ResNet18PreprocessPath());
    internal OrtReference Network { get; } = new(OnnxAssets.ResNet18Path());

    public void Dispose()
    {
        Model.Dispose();
        Preprocess.Dispose();
        Network.Dispose();
    }
}

public sealed class OnnxResNet18Tests : IClassFixture<ResNet18Fixture>
{
    private readonly ResNet18Fixture _f;
    private readonly ITestOutputHelper _out;

    public OnnxResNet18Tests(ResNet18Fixture f, ITestOutputHelper output) { _f = f; _out = output; }

    /// <summary>ONNX Runtime on the same pipeline: resize, ×255, the package's preprocessing graph, ResNet-18.</summary>
    private Tensor Reference(Tensor canvas)
    {
        using var resized = ModelInput.Resize(canvas, 224, "bilinear");
        using var scaled = resized * 255f;
        using var prepared = _f.Preprocess.Run("OriginalInput", scaled, "PreprocessedInput");
        using var features = _f.Network.Run("Input247", prepared, "Pooling395_Output_0"); // [1, 512, 1, 1]
        return features.reshape(1, 512);
    }

    [Fact]
    public void GraphIsTheCntkResNet18()
    {
        var g = _f.Model.Graph;
        Assert.Equal(8, g.Opset);
        Assert.Equal("Input247 float [1,3,224,224]", g.Inputs.Single().ToString());
        Assert.Equal("Pooling395_Output_0 float [1,512,1,1]", g.Outputs.Single().ToString());
        Assert.Equal(new[] { "Add", "AveragePool", "BatchNormalization", "Conv", "MaxPool", "Relu" }, g.OpTypes);
        Assert.Equal(224, _f.Model.Info.InputSize);
    }

    [SharedFact]
    public void CatImageFeaturesMatchOnnxRuntime()
    {
        using var scope = NewDisposeScope();
        using var image = ImageDecoder.Load(SharedData.Path("data", "samples", "cat.bmp"));
        var canvas = image.unsqueeze(0); // [1, 3, H, W]
        Tensor ours;
        using (no_grad()) ours = _f.Model.ImageFeatures(canvas);
        var reference = Reference(canvas);
        Assert.Equal(new long[] { 1, 512 }, ours.shape);
        var diff = OrtReference.MaxAbsDiff(ours, reference);
        _out.WriteLine($"ResNet-18 cat.bmp: max |ours - ORT| = {diff:E2}, max |ORT| = {reference.abs().max().item<float>():F3}");
        Assert.True(diff <= 1e-4, $"max abs diff {diff}");
        Assert.True(reference.abs().max().item<float>() > 0.1f, "features should not be trivially small");
    }

    [Fact]
    public void RandomInputMatchesOnnxRuntime()
    {
        using var scope = NewDisposeScope();
        var gen = new TorchSharp.torch.Generator(7);
        var x = rand(new long[] { 1, 3, 224, 224 }, generator: gen) * 255f - 120f; // model units (BGR minus mean)
        Tensor ours;
        using (no_grad()) ours = _f.Model.Graph.Run("Input247", x);
        var reference = _f.Network.Run("Input247", x, "Pooling395_Output_0");
        var diff = OrtReference.MaxAbsDiff(ours, reference);
        _out.WriteLine($"ResNet-18 random input: max |ours - ORT| = {diff:E2}, max |ORT| = {reference.abs().max().item<float>():F3}");
        Assert.True(diff <= 1e-4, $"max abs diff {diff}");
    }

    [Fact]
    public void GradientReachesPixelsAndMatchesFiniteDifferences()
    {
        using var scope = NewDisposeScope();
        var gen = new TorchSharp.torch.Generator(3);
        var pixels = rand(new long[] { 1, 3, 224, 224 }, generator: gen).requires_grad_(true);
        var loss = _f.Model.ImageFeatures(pixels).sum();
        loss.backward();
        var grad = pixels.grad!.detach().clone();
        Assert.True(isfinite(grad).all().item<bool>(), "gradient has non-finite values");
        Assert.True(grad.abs().sum().item<float>() > 0, "gradient is zero");

        // Central differences on the two pixels with the largest gradient, the four forwards in one batch.
        var flat = grad.flatten();
        var top = flat.abs().topk(2).indexes.data<long>().ToArray();
        const float eps = 1e-2f;
        using var _ = no_grad();
        var probes = pixels.detach().expand(4, 3, 224, 224).clone(); // [+e at top0, -e at top0, +e at top1, -e at top1]
        var view = probes.view(4, -1);                                 // [4, 3*224*224]
        for (int k = 0; k < 2; k++)
        {
            view[2 * k, top[k]] += eps;
            view[2 * k + 1, top[k]] -= eps;
        }
        var sums = _f.Model.ImageFeatures(probes).sum(1).data<float>().ToArray();
        for (int k = 0; k < 2; k++)
        {
            double fd = (sums[2 * k] - sums[2 * k + 1]) / (2 * eps);
            double analytic = flat[top[k]].item<float>();
            _out.WriteLine($"pixel {top[k]}: autograd {analytic:F5}, finite difference {fd:F5}");
            Assert.True(Math.Abs(fd - analytic) <= 0.05 * Math.Abs(analytic) + 1e-3, $"pixel {top[k]}: autograd {analytic} vs finite difference {fd}");
        }
    }
}
