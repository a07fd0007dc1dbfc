using Tvp.Models;
using Tvp.Models.Classifiers;
using Tvp.Data;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Classifiers;

/// <summary>The prompting contract of <see cref="ClassifierPromptable"/>: mapped scores, task loss, features, gradients.</summary>
public sealed class ClassifierPromptableTests
{
    private static ClassifierPromptable Load(string name) => ClassifierPromptable.Load(SharedData.Path("models", name + ".json"));

    private static Tensor Canvas(int batch, int size, int seed)
    {
        var g = new Generator((ulong)seed);
        return rand(new long[] { batch, 3, size, size }, generator: g);
    }

    [SharedFact]
    public void InfoComesFromTheCard()
    {
        using var model = Load("mobilenet_v1_0.5_160");
        Assert.Equal("mobilenet_v1_0.5_160", model.Info.Name);
        Assert.Equal("classifier", model.Info.Family);
        Assert.Equal(160, model.Info.InputSize);
        Assert.Equal(new[] { 0.5f, 0.5f, 0.5f }, model.Info.Mean);
        Assert.Equal("bilinear", model.Info.Interpolation);
        Assert.Equal(1001, model.Labels.Count);
    }

    [SharedFact]
    public void WithoutMappingCandidatesEqualToTheLabelsUseIdentity()
    {
        using var model = Load("cifar10-resnet20");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var pixels = Canvas(4, 32, 1);
        var batch = TaskBatch.Classification(model.Labels, [0, 3, 5, 9]);
        var score = model.Score(pixels, batch);
        Assert.Equal(new long[] { 4, 10 }, score.shape);
        var expected = model.Logits(pixels).log_softmax(1);
        Assert.True(score.allclose(expected, rtol: 0, atol: 1e-5));
    }

    [SharedFact]
    public void MappedScoreGathersTheMappedLabelsInCandidateOrder()
    {
        using var model = Load("cifar10-resnet20");
        model.Mapping = new LabelMapping(["kitten", "puppy", "boat"], [3, 5, 8], "file");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var pixels = Canvas(3, 32, 2);
        string[] candidates = ["boat", "kitten"];
        var batch = TaskBatch.Classification(candidates, [0, 1, 1]);

        var score = model.Score(pixels, batch); // [3, 2]
        Assert.Equal(new long[] { 3, 2 }, score.shape);
        var logits = model.Logits(pixels);
        var expected = stack([logits[.., 8], logits[.., 3]], 1).log_softmax(1);
        Assert.True(score.allclose(expected, rtol: 0, atol: 1e-5));

        var loss = model.TaskLoss(pixels, batch);
        Assert.Empty(loss.shape);
        var nll = -(score[0, 0] + score[1, 1] + score[2, 1]) / 3;
        Assert.Equal(nll.item<float>(), loss.item<float>(), 4);
    }

    [SharedFact]
    public void RowsWithFewerCandidatesArePaddedWithMinusInfinity()
    {
        using var model = Load("cifar10-resnet20");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var pixels = Canvas(2, 32, 3);
        var batch = new TaskBatch(["q", "q"], [new[] { "cat", "dog", "frog" }, new[] { "truck", "ship" }], [2, 0]);
        var score = model.Score(pixels, batch);
        Assert.Equal(new long[] { 2, 3 }, score.shape);
        Assert.True(float.IsNegativeInfinity(score[1, 2].item<float>()));
        var logits = model.Logits(pixels);
        Assert.True(score[1, ..2].allclose(stack([logits[1, 9], logits[1, 8]]).log_softmax(0), rtol: 0, atol: 1e-5));
        Assert.True(float.IsFinite(model.TaskLoss(pixels, batch).item<float>()));
    }

    [SharedFact]
    public void UnknownCandidateIsNamed()
    {
        using var model = Load("cifar10-resnet20");
        using var pixels = Canvas(1, 32, 4);
        var plain = Assert.Throws<ArgumentException>(() => model.Score(pixels, TaskBatch.Classification(["cat", "kitten"], [0])));
        Assert.Contains("'kitten'", plain.Message);
        model.Mapping = LabelMapping.Identity(["a", "b"], model.Labels.Count);
        var mapped = Assert.Throws<ArgumentException>(() => model.TaskLoss(pixels, TaskBatch.Classification(["a", "c"], [0])));
        Assert.Contains("'c'", mapped.Message);
    }

    [SharedTheory]
    [InlineData("cifar10-resnet20", 40, 64)]     // canvas resized 40 → 32
    [InlineData("mobilenet_v1_0.25_128", 224, 256)] // 224 → 128
    [InlineData("mobilenet_v2_1.0_224", 224, 1280)]
    public void GradientReachesThePixelsAndNotTheWeights(string name, int canvas, int featureSize)
    {
        using var model = Load(name);
        using var scope = NewDisposeScope();
        var prompt = zeros(new long[] { 1, 3, canvas, canvas }, requires_grad: true);
        var pixels = Canvas(2, canvas, 5) + prompt;
        var classes = model.Labels.Count == 10 ? new[] { "cat", "dog" } : new[] { "tabby, tabby cat", "tiger cat" };
        model.Mapping = model.Labels.Count == 10 ? null : new LabelMapping(classes, [282, 283], "file");
        var loss = model.TaskLoss(pixels, TaskBatch.Classification(classes, [0, 1]));
        loss.backward();

        var grad = prompt.grad ?? throw new Xunit.Sdk.XunitException("no gradient reached the prompt");
        Assert.Equal(prompt.shape, grad.shape);
        Assert.True(grad.isfinite().all().item<bool>());
        Assert.True(grad.abs().sum().item<float>() > 0);
        Assert.All(model.Network.parameters(), p => Assert.Null(p.grad));

        using var _ = no_grad();
        Assert.Equal(new long[] { 2, featureSize }, model.ImageFeatures(pixels).shape);
    }

    [Theory]
    [InlineData(224, 3, 2, 0, 1)] // even size, stride 2: extra row/column bottom/right
    [InlineData(7, 3, 2, 1, 1)]   // odd size, stride 2
    [InlineData(112, 3, 1, 1, 1)] // stride 1 = symmetric 1
    [InlineData(14, 1, 1, 0, 0)]  // 1x1
    [InlineData(15, 1, 2, 0, 0)]
    public void TfSamePaddingFollowsTheCardsFormula(long n, long k, long s, long before, long after)
    {
        Assert.Equal((before, after), ConvPadding.Amounts(PaddingRule.TfSame, n, k, s));
        Assert.Equal((k / 2, k / 2), ConvPadding.Amounts(PaddingRule.Symmetric, n, k, s));
    }

    [SharedFact]
    public void NetworksRunAtOddSizes()
    {
        foreach (var (name, size) in new[] { ("mobilenet_v1_0.25_128", 97), ("mobilenet_v2_1.0_224", 75), ("cifar10-resnet20", 27) })
        {
            using var model = Load(name);
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var logits = model.Network.forward(Canvas(2, size, 6)); // bypasses the resize to the native size
            Assert.Equal(new long[] { 2, model.Labels.Count }, logits.shape);
            Assert.True(logits.isfinite().all().item<bool>());
        }
    }
}
