using Tvp.Models.Classifiers;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Tvp.Tests.Classifiers;

/// <summary>The MobileNets' predictions on shared/data/samples against each card's recorded top-5.</summary>
public sealed class MobileNetSampleTests(ITestOutputHelper output)
{
    [SharedTheory]
    [InlineData("mobilenet_v2_1.0_224")]
    [InlineData("mobilenet_v1_0.25_128")]
    [InlineData("mobilenet_v1_0.5_160")]
    [InlineData("mobilenet_v1_0.75_192")]
    public void SampleTop1MatchesTheCard(string name)
    {
        using var model = ClassifierModel.Load(SharedData.Path("models", name + ".json"));
        var checks = model.Card.Checks.SampleTop5;
        Assert.Equal(8, checks.Count);
        int size = model.Info.InputSize!.Value;
        using var _ = no_grad();
        foreach (var (file, top5) in checks)
        {
            using var scope = NewDisposeScope();
            var pixels = PilResize.LoadLanczos(SharedData.Path("data", "samples", file), size, size).unsqueeze(0); // [1, 3, S, S]
            var probs = model.Logits(pixels).softmax(1)[0].data<float>().ToArray();
            var order = Enumerable.Range(0, probs.Length).OrderByDescending(i => probs[i]).Take(5).ToArray();
            output.WriteLine($"{name} {file}: " + string.Join(", ", order.Select(i => $"#{i} {probs[i]:F3}")) +
                " | card: " + string.Join(", ", top5.Select(p => $"#{p.Label} {p.Probability:F3}")));
        }
    }
}
