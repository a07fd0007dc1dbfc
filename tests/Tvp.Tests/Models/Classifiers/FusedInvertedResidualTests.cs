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
        { 32, 16, 1, 1, 11, 12, false, 2 },   // no expansion (MobileNet-V2's first block): the input rows read in place
        { 12, 12, 1, 1, 9, 8, true, 2 },      // no expansion, channels off the 16-float blocks (a padded copy), residual
        { 12, 12, 1, 3, 7, 7, true, 1 },        // channels off the 16-float blocks, residual
        { 8, 20, 2, 5, 5, 6, true, 2 },
        { 40, 40, 1, 6, 96, 5, false, 1 },    // tall: bands and carried gradient rows
        { 16, 16, 2, 6, 1, 2, true, 2 },       // smaller than the kernel
        { 24, 32, 2, 6, 115, 113, false, 2 }, // wide rows: the forward's row-by-row ring
        { 24, 24, 1, 6, 61, 113, true, 1 },   // batch 1: the backward in row parts, each of several bands, with a seam
        { 24, 32, 2, 6, 115, 113, false, 1 }, // the same at stride 2
        { 16, 16, 1, 6, 2, 3, false, 1 },     // batch 1, one part (parts keep two output rows)
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

        long forwards = FusedInvertedResidual.Forwards, backwards = FusedInvertedResidual.Backwards;
        var ((y32, g32), (yTorch, gTorch), (y64, g64)) = ThreeWays(block, x, upstream);
        if (InvertedResidualKernel.Supported)
            Assert.True(FusedInvertedResidual.Forwards > forwards && FusedInvertedResidual.Backwards > backwards, "the fused kernel ran, forward and backward");
        Assert.True(Rel(y32, y64) <= 1e-5, $"fused output vs float64: {Rel(y32, y64):E2} of its scale (libtorch float32: {Rel(yTorch, y64):E2})");
        Assert.True(Rel(g32, g64) <= 1e-5, $"fused input gradient vs float64: {Rel(g32, g64):E2} of its scale (libtorch float32: {Rel(gTorch, g64):E2})");
        Assert.True(g64.abs().max().item<double>() > 0, "a gradient reached the input");
    }

    /// <summary>
    /// The shipped MobileNet-V2 runs all 17 blocks fused, forward and backward, with libtorch's logits; and each of its blocks,
    /// on the network's own activations (real weights, real inputs), matches float64 as closely as libtorch's float32 does.
    /// Whole-network input gradients are not compared between the two float32 paths: their activations differ in the last
    /// bits, which moves a few values across a ReLU6 boundary (0 or 6) and changes the gradient there — libtorch's own block
    /// fed the fused chain's input differed from itself by 8e-3 of the gradient's scale — so that comparison measures
    /// rounding luck, not the kernel.
    /// </summary>
    [SharedFact]
    public void MobileNetV2RunsEveryBlockFusedAndEachBlockMatchesFloat64()
    {
        using var model = ClassifierPromptable.Load(SharedData.Path("models", "mobilenet_v2_1.0_224.json"));
        using var scope = NewDisposeScope();
        var pixels = rand(new long[] { 2, 3, 200, 232 }, generator: new Generator(4)); // not the native size
        var candidates = Enumerable.Range(0, 10).Select(i => model.Labels[i]).ToArray();
        var batch = Tvp.Data.TaskBatch.Classification(candidates, [2, 8]);
        (Tensor Logits, long Forwards, long Backwards) Run(bool fused)
        {
            FusedInvertedResidual.Enabled = fused;
            try
            {
                long f = FusedInvertedResidual.Forwards, b = FusedInvertedResidual.Backwards;
                var x = pixels.clone().requires_grad_(true);
                model.TaskLoss(x, batch).backward();
                Assert.True(x.grad!.abs().max().item<float>() > 0, "a gradient reached the pixels");
                Tensor logits;
                using (no_grad()) logits = model.Logits(pixels);
                return (logits, FusedInvertedResidual.Forwards - f, FusedInvertedResidual.Backwards - b);
            }
            finally { FusedInvertedResidual.Enabled = true; }
        }
        var fusedRun = Run(fused: true);
        var torchRun = Run(fused: false);
        if (InvertedResidualKernel.Supported)
            Assert.True(fusedRun.Forwards == 2 * 17 && fusedRun.Backwards == 17, $"all 17 blocks fused: {fusedRun.Forwards} forwards, {fusedRun.Backwards} backwards");
        Assert.Equal(0, torchRun.Forwards);
        double logitsDiff = (fusedRun.Logits - torchRun.Logits).abs().max().item<float>() / torchRun.Logits.abs().max().item<float>();
        Assert.True(logitsDiff <= 1e-4, $"logits fused vs libtorch differ by {logitsDiff:E2} of their scale");

        // Block by block on the network's activations.
        var features = model.Network.named_children().First(c => c.name == "features").module;
        var h = ChannelsLastTensor.Of(pixels);
        var g = new Generator(6);
        int blocks = 0;
        foreach (var (name, child) in features.named_children())
        {
            var layer = (nn.Module<Tensor, Tensor>)child;
            if (child is InvertedResidual block)
            {
                Tensor upstream;
                using (no_grad()) upstream = randn(block.forward(h).shape, generator: g);
                var ((yFused, gFused), (yTorch, gTorch), (y64, g64)) = ThreeWays(block, h, upstream);
                Assert.True(Rel(yFused, y64) <= Math.Max(4 * Rel(yTorch, y64), 1e-5), $"block {name} output vs float64: fused {Rel(yFused, y64):E2}, libtorch {Rel(yTorch, y64):E2}");
                Assert.True(Rel(gFused, g64) <= Math.Max(4 * Rel(gTorch, g64), 1e-5), $"block {name} input gradient vs float64: fused {Rel(gFused, g64):E2}, libtorch {Rel(gTorch, g64):E2}");
                blocks++;
            }
            using (no_grad()) h = layer.forward(h);
        }
        Assert.Equal(17, blocks);
    }

    /// <summary>The block's output and input gradient (float64 copies): fused in float32, libtorch in float32, libtorch in float64.</summary>
    private static ((Tensor Y, Tensor Gx) Fused, (Tensor Y, Tensor Gx) Torch, (Tensor Y, Tensor Gx) Float64) ThreeWays(InvertedResidual block, Tensor x, Tensor upstream)
    {
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
        var fused = Run(fused: true, ScalarType.Float32);
        var torch32 = Run(fused: false, ScalarType.Float32);
        block.to(ScalarType.Float64);
        try { return (fused, torch32, Run(fused: false, ScalarType.Float64)); }
        finally { block.to(ScalarType.Float32); }
    }

    /// <summary>max |a − b| / max |b|.</summary>
    private static double Rel(Tensor a, Tensor b) => (a - b).abs().max().item<double>() / Math.Max(b.abs().max().item<double>(), 1e-30);

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
