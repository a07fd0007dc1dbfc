using System.Diagnostics;
using Tvp.Models.Classifiers;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Classifiers;

/// <summary>
/// The CIFAR ResNets' top-1 on all 10,000 test images, against the accuracy measured in each card (±0.5 points:
/// StbImageSharp decodes the JPEGs slightly differently from libjpeg). About 3.3 TMAC for the four models:
/// minutes on two cores, hence the Slow trait (filter with <c>Category!=Slow</c> for a quick run).
/// </summary>
[Trait("Category", "Slow")]
public sealed class CifarResNetAccuracyTests(CifarTestSet testSet, ITestOutputHelper output) : IClassFixture<CifarTestSet>
{
    [SharedTheory]
    [InlineData("cifar10-resnet20")]
    [InlineData("cifar10-resnet32")]
    [InlineData("cifar10-resnet44")]
    [InlineData("cifar10-resnet56")]
    public void Top1MatchesTheCardWithinHalfAPoint(string name)
    {
        var watch = Stopwatch.StartNew();
        using var model = ClassifierPromptable.Load(SharedData.Path("models", name + ".json"));
        var expected = model.Card.Checks.MeasuredTestTop1Percent
            ?? throw new Xunit.Sdk.XunitException($"{name}: the card records no measured test accuracy");
        Assert.Equal(testSet.Classes, model.Labels);

        using var _ = no_grad();
        long correct = 0, n = testSet.Labels.Length;
        const int batch = 500;
        for (long start = 0; start < n; start += batch)
        {
            using var scope = NewDisposeScope();
            var images = testSet.Images.narrow(0, start, Math.Min(batch, n - start)); // [b, 3, 32, 32]
            var predicted = model.Logits(images).argmax(1).data<long>().ToArray();
            for (int i = 0; i < predicted.Length; i++) if (predicted[i] == testSet.Labels[start + i]) correct++;
        }
        double top1 = 100.0 * correct / n;
        output.WriteLine($"{name}: top-1 {top1:F2}% ({correct}/{n}), card {expected:F2}%, model {watch.Elapsed.TotalSeconds:F1} s, shared decode {testSet.DecodeTime.TotalSeconds:F1} s");
        Assert.Equal(10000, n);
        Assert.InRange(top1, expected - 0.5, expected + 0.5);
    }
}
