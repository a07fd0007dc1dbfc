using Tvp.Models;
using Tvp.Models.Classifiers;
using Tvp.Tests.Models.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Classifiers;

/// <summary>
/// The fused inverted residual kernel (forward and input gradient) against the same block run by libtorch in float64, over
/// shapes the shipped networks do not have (odd sizes, channel counts off the 16-float blocks, both padding rules, with and
/// without expansion and residual, batch 1 and 3). Runs without neighbours because it toggles the process-wide switch.
/// </summary>
[Collection(TightNumericsCollection.Name)]
public sealed class FusedInvertedResidualTests
{
    public static TheoryData<int, int, int, int, int, int, bool, int> Blocks => new()
    {
        // in, out, stride, expand, height, width, TF "SAME" padding (else symmetric), batch
        { 16, 24, 2, 6, 17, 23, true, 3 },
        { 16, 24, 2, 6, 18, 16, false, 1 },
        { 24, 24, 1, 6, 13, 9, false, 3 },
        { 24, 24, 1, 6, 40, 33, true, 2 },      // several backward bands
        { 32, 16, 1, 1, 11, 12, false, 2 },   // no expansion (MobileNet-V2's first block)
        { 12, 12, 1, 3, 7, 7, true, 1 },        // channels off the 16-float blocks, residual
        { 8, 20, 2, 5, 5, 6, true, 2 },
        { 40, 40, 1, 6, 96, 5, false, 1 },    // tall: bands and carried gradient rows
        { 16, 16, 2, 6, 1, 2, true, 2 },       // smaller than the kernel
        { 24, 32, 2, 6, 115, 113, false, 2 }, // wide rows: the forward's row-by-row ring
    };

    [Theory]
    [MemberData(nameof(Blocks))]
    public void OutputAndInputGradientMatchFloat64(int inChannels, int outChannels, int stride, int expand, int height, int width, bool tfSame, int batch)
    {
        // Without AVX-512 the "fused" runs fall back to libtorch's kernels and the same bounds still hold.
        var padding = tfSame ? PaddingRule.TfSame : PaddingRule.Symmetric;
        using var scope = NewDisposeScope();
        using var block = new InvertedResidual(inChannels, outChannels, stride, expand, padding);
        var g = new Generator(11);
        using (no_grad())
        {
            foreach (var (name, p) in block.named_parameters())
                p.copy_(name.EndsWith("weight") && p.dim() == 4 ? randn(p.shape, generator: g) * (1.5 / Math.Sqrt(p.shape[1] * p.shape[2] * p.shape[3]))
                    : name.EndsWith("weight") ? rand(p.shape, generator: g) + 0.5 : randn(p.shape, generator: g) * 0.3);
            foreach (var (name, b) in block.named_buffers())
                if (name.EndsWith("running_mean")) b.copy_(randn(b.shape, generator: g) * 0.2);
                else if (name.EndsWith("running_var")) b.copy_(rand(b.shape, generator: g) + 0.5);
            foreach (var p in block.parameters()) p.requires_grad_(false);
        }
        block.eval();
        FoldAll(block);
        var x = ChannelsLastTensor.Of(randn(new long[] { batch, inChannels, height, width }, generator: g) * 2);
        var upstream = randn(block.forward(x).shape, generator: g);

        (Tensor Y, Tensor Gx) Run(bool fused, ScalarType dtype)
        {
            FusedInvertedResidual.Enabled = fused;
            try
            {
                var input = x.to(dtype).detach().requires_grad_(true);
                var y = block.forward(input);
                y.backward([upstream.to(dtype)]);
                return (y.detach().to(ScalarType.Float64), input.grad!.to(ScalarType.Float64));
            }
            finally { FusedInvertedResidual.Enabled = true; }
        }
        long forwards = FusedInvertedResidual.Forwards, backwards = FusedInvertedResidual.Backwards;
        var (y32, g32) = Run(fused: true, ScalarType.Float32);
        if (InvertedResidualKernel.Supported)
            Assert.True(FusedInvertedResidual.Forwards > forwards && FusedInvertedResidual.Backwards > backwards, "the fused kernel ran, forward and backward");
        var (yTorch, gTorch) = Run(fused: false, ScalarType.Float32);
        block.to(ScalarType.Float64);
        var (y64, g64) = Run(fused: false, ScalarType.Float64);
        block.to(ScalarType.Float32);

        double Rel(Tensor a, Tensor b) => (a - b).abs().max().item<double>() / Math.Max(b.abs().max().item<double>(), 1e-30);
        Assert.True(Rel(y32, y64) <= 1e-5, $"fused output vs float64: {Rel(y32, y64):E2} of its scale (libtorch float32: {Rel(yTorch, y64):E2})");
        Assert.True(Rel(g32, g64) <= 1e-5, $"fused input gradient vs float64: {Rel(g32, g64):E2} of its scale (libtorch float32: {Rel(gTorch, g64):E2})");
        Assert.True(g64.abs().max().item<double>() > 0, "a gradient reached the input");
    }

    [SharedFact]
    public void MobileNetV2RunsEveryBlockFusedWithTheSameLogitsAndGradients()
    {
        using var model = ClassifierPromptable.Load(SharedData.Path("models", "mobilenet_v2_1.0_224.json"));
        using var scope = NewDisposeScope();
        var pixels = rand(new long[] { 2, 3, 200, 232 }, generator: new Generator(4)); // not the native size
        var candidates = Enumerable.Range(0, 10).Select(i => model.Labels[i]).ToArray();
        var batch = Tvp.Data.TaskBatch.Classification(candidates, [2, 8]);
        (Tensor Logits, Tensor Gradient, long Forwards, long Backwards) Run(bool fused)
        {
            FusedInvertedResidual.Enabled = fused;
            try
            {
                long f = FusedInvertedResidual.Forwards, b = FusedInvertedResidual.Backwards;
                var x = pixels.clone().requires_grad_(true);
                model.TaskLoss(x, batch).backward();
                Tensor logits;
                using (no_grad()) logits = model.Logits(pixels);
                return (logits, x.grad!.clone(), FusedInvertedResidual.Forwards - f, FusedInvertedResidual.Backwards - b);
            }
            finally { FusedInvertedResidual.Enabled = true; }
        }
        var fusedRun = Run(fused: true);
        var torchRun = Run(fused: false);
        if (InvertedResidualKernel.Supported)
            Assert.True(fusedRun.Forwards == 2 * 17 && fusedRun.Backwards == 17, $"all 17 blocks fused: {fusedRun.Forwards} forwards, {fusedRun.Backwards} backwards");
        Assert.Equal(0, torchRun.Forwards);
        // Both float32 runs against the network in float64 (libtorch's own kernels): the fused one may not be the worse by much.
        using var model64 = ClassifierPromptable.Load(SharedData.Path("models", "mobilenet_v2_1.0_224.json"));
        model64.Network.to(ScalarType.Float64);
        var x64 = pixels.to(ScalarType.Float64).requires_grad_(true);
        model64.TaskLoss(x64, batch).backward();
        Tensor logits64;
        using (no_grad()) logits64 = model64.Logits(pixels.to(ScalarType.Float64));
        double Rel(Tensor a, Tensor b) => (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max().item<double>() / Math.Max(b.to(ScalarType.Float64).abs().max().item<double>(), 1e-30);
        double fusedLogits = Rel(fusedRun.Logits, logits64), torchLogits = Rel(torchRun.Logits, logits64);
        double fusedGradient = Rel(fusedRun.Gradient, x64.grad!), torchGradient = Rel(torchRun.Gradient, x64.grad!);
        Assert.True(fusedLogits <= Math.Max(2 * torchLogits, 1e-5), $"logits vs float64: fused {fusedLogits:E2}, libtorch {torchLogits:E2} of their scale");
        Assert.True(fusedGradient <= Math.Max(2 * torchGradient, 1e-4), $"input gradients vs float64: fused {fusedGradient:E2}, libtorch {torchGradient:E2} of their scale");
    }

    private static void FoldAll(nn.Module block)
    {
        foreach (var (_, m) in block.named_modules())
        {
            PaddedConv2d? previous = null;
            foreach (var (_, child) in m.named_children())
            {
                if (child is FoldableBatchNorm2d bn && previous is not null) bn.FoldInto(previous);
                previous = child as PaddedConv2d;
            }
        }
    }
}
