using Tvp.IO;
using Tvp.Models.Classifiers;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Classifiers;

/// <summary>
/// Folding eval-mode BatchNorms into the convolutions (done once at load) and the channels-last layout change the
/// arithmetic order only: outputs and input gradients match the unfolded, BatchNorm-as-written network.
/// </summary>
public sealed class BatchNormFoldTests
{
    public static TheoryData<string> Networks => new() { "cifar10-resnet20", "mobilenet_v2_1.0_224", "mobilenet_v1_0.25_128" };

    private static ClassifierNetwork LoadUnfolded(string name)
    {
        var card = ModelCard.Read(SharedData.Path("models", name + ".json"));
        var net = ClassifierPromptable.Build(card);
        StateDictLoader.Load(net, Checkpoint.Open(card.WeightsPath), optional: n => n.EndsWith("num_batches_tracked", StringComparison.Ordinal));
        net.eval();
        foreach (var p in net.parameters()) p.requires_grad = false;
        return net;
    }

    /// <summary>Gives every BatchNorm non-trivial statistics (the shared MobileNet-V2's are already folded: scale 1).</summary>
    private static int RandomizeBatchNorms(ClassifierNetwork net, Generator g)
    {
        int count = 0;
        using var noGrad = no_grad();
        foreach (var (_, m) in net.named_modules())
        {
            if (m is not FoldableBatchNorm2d bn) continue;
            count++;
            foreach (var (name, t) in bn.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).Concat(bn.named_buffers()))
            {
                if (t.dtype != ScalarType.Float32) continue;
                using var r = name switch
                {
                    "weight" or "running_var" => rand(t.shape, generator: g) + 0.5,
                    _ => randn(t.shape, generator: g) * 0.1,
                };
                t.copy_(r);
            }
        }
        return count;
    }

    private static (Tensor Output, Tensor Gradient) Run(ClassifierNetwork net, Tensor x, Tensor weights, bool withGradient)
    {
        if (!withGradient)
        {
            using var noGrad = no_grad();
            return (net.forward(x), zeros(1));
        }
        var input = x.clone().requires_grad_(true);
        var y = net.forward(input);
        (y * weights).sum().backward();
        return (y.detach(), input.grad!.clone());
    }

    private static void AssertClose(Tensor expected, Tensor actual, double relative, string what)
    {
        double scale = expected.abs().max().item<float>();
        double diff = (expected - actual).abs().max().item<float>();
        Assert.True(diff <= relative * Math.Max(scale, 1e-6), $"{what}: max |diff| {diff:E2} > {relative:E0} × max |value| {scale:E2}");
    }

    [SharedTheory]
    [MemberData(nameof(Networks))]
    public void FoldedOutputsAndInputGradientsMatchTheBatchNormAsWritten(string name)
    {
        using var scope = NewDisposeScope();
        using var net = LoadUnfolded(name);
        var g = new Generator(7);
        Assert.True(RandomizeBatchNorms(net, g) > 0 || name.StartsWith("mobilenet_v1", StringComparison.Ordinal), "the network has BatchNorms to fold");
        int size = name.StartsWith("cifar", StringComparison.Ordinal) ? 32 : 96; // any size: the networks pad per input
        var x = rand(new long[] { 3, 3, size, size }, generator: g);
        long labels = net.forward(x).shape[1];
        var w = randn(new long[] { 3, labels }, generator: g);

        var (y0, g0) = Run(net, x, w, withGradient: true);
        var (e0, _) = Run(net, x, w, withGradient: false);
        net.FoldBatchNorms();
        var (y1, g1) = Run(net, x, w, withGradient: true);
        var (e1, _) = Run(net, x, w, withGradient: false);

        AssertClose(y0, y1, 1e-4, $"{name} logits, folded vs BatchNorm");
        AssertClose(g0, g1, 1e-3, $"{name} input gradient, folded vs BatchNorm");
        AssertClose(e0, e1, 1e-4, $"{name} no-gradient logits (channels-last where the network uses it), folded vs BatchNorm");
        AssertClose(y1, e1, 1e-4, $"{name} logits with and without a gradient (two layouts)");
    }

    [SharedFact]
    public void AFoldedNetworkRefusesASecondFold()
    {
        using var net = LoadUnfolded("cifar10-resnet20");
        net.FoldBatchNorms();
        Assert.Throws<InvalidOperationException>(net.FoldBatchNorms);
    }
}
