using Tvp.Data;
using Tvp.Models;
using Tvp.Models.Classifiers;
using Tvp.Tests.Models.Onnx;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Classifiers;

/// <summary>
/// The channels-last layout changes the memory order only: logits and input gradients of every built-in classifier
/// match NCHW (oneDNN has layout-specific kernels, so this is checked, not assumed). Runs without neighbours because it
/// sets the process-wide layout override.
/// </summary>
[Collection(TightNumericsCollection.Name)]
public sealed class ChannelsLastTests
{
    public static TheoryData<string> Networks => new() { "cifar10-resnet20", "mobilenet_v2_1.0_224", "mobilenet_v1_0.25_128" };

    [SharedTheory]
    [MemberData(nameof(Networks))]
    public void LogitsAndInputGradientsMatchNchw(string name)
    {
        using var model = ClassifierPromptable.Load(SharedData.Path("models", name + ".json"));
        using var scope = NewDisposeScope();
        int size = model.Info.InputSize ?? 224;
        var g = new Generator(3);
        var pixels = rand(new long[] { 4, 3, size + 8, size + 8 }, generator: g); // not the native size: resized at the input
        var candidates = Enumerable.Range(0, 10).Select(i => model.Labels[i]).ToArray();
        var batch = TaskBatch.Classification(candidates, [0, 3, 5, 9]);
        (Tensor Logits, Tensor Gradient) Run(ChannelsLastUse use)
        {
            ChannelsLast.Override = use;
            try
            {
                var x = pixels.clone().requires_grad_(true);
                model.TaskLoss(x, batch).backward();
                Tensor logits;
                using (no_grad()) logits = model.Logits(pixels);
                return (logits, x.grad!.clone());
            }
            finally { ChannelsLast.Override = null; }
        }
        var (l0, g0) = Run(ChannelsLastUse.Never);
        var (l1, g1) = Run(ChannelsLastUse.Always);
        double Rel(Tensor a, Tensor b) => (a - b).abs().max().item<float>() / Math.Max(a.abs().max().item<float>(), 1e-12);
        Assert.True(Rel(l0, l1) <= 1e-4, $"{name}: logits channels-last vs NCHW differ by {Rel(l0, l1):E2} of their scale");
        Assert.True(Rel(g0, g1) <= 1e-3, $"{name}: input gradients channels-last vs NCHW differ by {Rel(g0, g1):E2} of their scale");
        Assert.True(g0.abs().max().item<float>() > 0, "a gradient reached the pixels");
    }
}
