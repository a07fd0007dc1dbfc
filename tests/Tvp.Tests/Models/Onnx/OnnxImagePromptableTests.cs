using Tvp.Models;
using Tvp.Models.Onnx;
using Tvp.Data;
using static Tvp.Tests.Models.Onnx.OnnxModelBuilder;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Onnx;

/// <summary>Cards, the onnx family and the classifier contract, on a tiny hand-built model.</summary>
public sealed class OnnxImagePromptableTests
{
    // features = per-channel mean of the 8×8 input; logits = W·features + b.
    private static readonly float[] W = { 1f, 0f, 0f, 0f, 1f, 0f, 0f, 0f, 1f, 1f, -1f, 0.5f }; // [4, 3]
    private static readonly float[] B = { 0f, 0.1f, -0.1f, 0.2f };

    private static void WriteModel(TempDir dir, string card)
    {
        var model = new OnnxModelBuilder(13)
            .Input("data", 1, 3, 8, 8)
            .Initializer("W", W, 4, 3)
            .Initializer("B", B, 4)
            .Node("GlobalAveragePool", new[] { "data" }, new[] { "gap" })
            .Node("Flatten", new[] { "gap" }, new[] { "features" })
            .Node("Gemm", new[] { "features", "W", "B" }, new[] { "logits" }, Int("transB", 1))
            .Output("features").Output("logits");
        File.WriteAllBytes(dir.File("tiny.onnx"), model.Bytes);
        File.WriteAllLines(dir.File("labels.txt"), new[] { "red", "green", "blue", "grey" });
        File.WriteAllText(dir.File("tiny.json"), card);
    }

    private const string ClassifierCard = """
        { "name": "tiny", "onnx": "tiny.onnx", "input": "data", "input_size": 8, "scale": 255,
          "mean": [100, 110, 120], "std": [50, 60, 70], "channel_order": "BGR",
          "features_output": "features", "logits_output": "logits", "labels": "labels.txt" }
        """;

    /// <summary>A constant-colour canvas [B,3,16,16]; its features are known exactly.</summary>
    private static Tensor Canvas(params float[][] rgbPerImage)
    {
        var t = stack(rgbPerImage.Select(c => tensor(c).view(3, 1, 1).expand(3, 16, 16)).ToArray()); // [B, 3, 16, 16]
        return t.contiguous();
    }

    private static float[] ExpectedFeatures(float[] rgb)
    {
        // BGR order; (pixel·255 − mean)/std with mean/std given in the model's (BGR) order.
        float[] mean = { 100, 110, 120 }, std = { 50, 60, 70 };
        return new[] { rgb[2], rgb[1], rgb[0] }.Select((v, c) => (v * 255 - mean[c]) / std[c]).ToArray();
    }

    [Fact]
    public void FamilyLoadsCardOrOnnxAndDiscoversCards()
    {
        using var dir = new TempDir();
        WriteModel(dir, ClassifierCard);
        var family = new OnnxFamily();
        Assert.True(family.CanLoad(dir.File("tiny.onnx")));
        Assert.True(family.CanLoad(dir.File("tiny.json")));
        Assert.False(family.CanLoad(dir.File("labels.txt")));
        var entry = Assert.Single(family.Discover(dir.Path));
        Assert.Equal(("tiny", "onnx", dir.File("tiny.json")), (entry.Name, entry.Family, entry.Path));
        Assert.Contains(ModelRegistry.Families, f => f.Name == "onnx");

        using var viaOnnx = family.Load(dir.File("tiny.onnx"), CPU);
        var classifier = Assert.IsType<OnnxClassifierPromptable>(viaOnnx);
        Assert.Equal(new[] { "red", "green", "blue", "grey" }, classifier.Labels);
        Assert.Equal(new ModelInfo("tiny", "onnx", 8, new[] { 120f / 255, 110f / 255, 100f / 255 }, new[] { 70f / 255, 60f / 255, 50f / 255 }),
            viaOnnx.Info, new ModelInfoComparer());
    }

    [Fact]
    public void FeaturesFollowTheCardsPreprocessing()
    {
        using var dir = new TempDir();
        WriteModel(dir, ClassifierCard);
        using var model = OnnxImagePromptable.Load(dir.File("tiny.json"));
        using var scope = NewDisposeScope();
        float[] a = { 0.2f, 0.5f, 0.9f }, b = { 1f, 0f, 0.25f };
        var features = model.ImageFeatures(Canvas(a, b));
        Assert.Equal(new long[] { 2, 3 }, features.shape);
        var got = features.data<float>().ToArray();
        var want = ExpectedFeatures(a).Concat(ExpectedFeatures(b)).ToArray();
        for (int i = 0; i < want.Length; i++) Assert.Equal(want[i], got[i], 4);
    }

    [Fact]
    public void ScoreAndTaskLossUseTheLabelMapping()
    {
        using var dir = new TempDir();
        WriteModel(dir, ClassifierCard);
        using var model = (OnnxClassifierPromptable)OnnxImagePromptable.Load(dir.File("tiny.onnx"));
        using var scope = NewDisposeScope();
        float[] a = { 0.2f, 0.5f, 0.9f }, b = { 1f, 0f, 0.25f };
        var pixels = Canvas(a, b);

        // Expected logits from the known features, then the mapping picks labels 3 and 0 for task classes "cat", "dog".
        var f = tensor(ExpectedFeatures(a).Concat(ExpectedFeatures(b)).ToArray(), new long[] { 2, 3 });
        var logits = matmul(f, tensor(W, new long[] { 4, 3 }).t()) + tensor(B);                    // [2, 4]
        Assert.True(OrtReference.MaxAbsDiff(model.Logits(pixels), logits) < 1e-4);
        var classes = new[] { "cat", "dog" };
        model.Mapping = new LabelMapping(classes, new[] { 3, 0 }, "file");
        var mapped = logits.index_select(1, tensor(new long[] { 3, 0 })).log_softmax(1);          // [2, 2]
        var batch = TaskBatch.Classification(classes, new[] { 1, 0 });
        var score = model.Score(pixels, batch);
        Assert.True(OrtReference.MaxAbsDiff(score, mapped) < 1e-5);
        var expectedLoss = -(mapped[0, 1] + mapped[1, 0]).item<float>() / 2;
        Assert.Equal(expectedLoss, model.TaskLoss(pixels, batch).item<float>(), 4);

        // Gradient reaches the pixels through the classifier head too.
        var p = pixels.clone().requires_grad_(true);
        model.TaskLoss(p, batch).backward();
        Assert.True(p.grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void FeatureOnlyModelRefusesScoringAndBadCardsAreNamed()
    {
        using var dir = new TempDir();
        WriteModel(dir, """{ "onnx": "tiny.onnx", "features_output": "features" }""");
        using var model = OnnxImagePromptable.Load(dir.File("tiny.onnx"));
        Assert.IsNotType<OnnxClassifierPromptable>(model);
        Assert.Equal(8, model.Info.InputSize); // from the graph's fixed input shape
        using var pixels = zeros(1, 3, 8, 8);
        Assert.Throws<NotSupportedException>(() => model.Score(pixels, TaskBatch.Classification(new[] { "a" }, new[] { 0 })));

        File.WriteAllText(dir.File("bad.json"), """{ "onnx": "tiny.onnx", "features_output": "nope" }""");
        var e = Assert.Throws<InvalidDataException>(() => OnnxImagePromptable.Load(dir.File("bad.json")));
        Assert.Contains("features_output 'nope' is not a graph output", e.Message);
        Assert.Contains("bad.json", e.Message);

        File.WriteAllBytes(dir.File("lonely.onnx"), File.ReadAllBytes(dir.File("tiny.onnx")));
        var missing = Assert.Throws<FileNotFoundException>(() => OnnxImagePromptable.Load(dir.File("lonely.onnx")));
        Assert.Contains("needs a card beside it", missing.Message);
    }

    private sealed class ModelInfoComparer : IEqualityComparer<ModelInfo>
    {
        public bool Equals(ModelInfo? x, ModelInfo? y) =>
            x is not null && y is not null && x.Name == y.Name && x.Family == y.Family && x.InputSize == y.InputSize &&
            x.Interpolation == y.Interpolation &&
            x.Mean.Zip(y.Mean).All(p => Math.Abs(p.First - p.Second) < 1e-6) && x.Std.Zip(y.Std).All(p => Math.Abs(p.First - p.Second) < 1e-6);
        public int GetHashCode(ModelInfo obj) => obj.Name.GetHashCode();
    }
}
