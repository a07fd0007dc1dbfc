using Tvp.Data;
using Tvp.Evaluation;
using Tvp.Experiments;
using Tvp.Demo;
using Tvp.Models;
using Tvp.Demo.Guides;
using Tvp.Demo.Zoo;
using Tvp.Prompts;
using Tvp.Tests.Data;
using Tvp.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Tvp.Tests.Demo;

/// <summary>A small demo zoo (300 clean Fashion-MNIST training images) built once into a temporary cache.</summary>
public sealed class DemoZooFixture : IDisposable
{
    public const string Folder = "/usr/share/datasets/fashion-mnist";
    private readonly TempDir _cache = new();
    private DemoZooResult? _zoo;

    internal ZooConfig Config { get; } = new(CanvasSize: 64, ImageSize: 48, Resolution: 64, TrainImages: 300, Seed: 5);
    internal string CacheRoot => _cache.Path;
    internal IdxDataset Train => _train ??= IdxDataset.FashionMnist(Folder, train: true);
    internal IdxDataset Test => _test ??= IdxDataset.FashionMnist(Folder, train: false);
    internal int[] TrainIdx => Samplers.Limit(Train, Config.TrainImages, Config.Seed);
    private IdxDataset? _train, _test;

    /// <summary>The zoo, trained on first use.</summary>
    internal DemoZooResult Zoo => _zoo ??= DemoZoo.Prepare(Config, Train, TrainIdx, CPU, fresh: false, new SilentProgress(), default, CacheRoot);

    /// <summary>Clean test canvases of the given indices.</summary>
    internal CanvasBatches TestBatches() => new(new ClassificationTask(Test, "fashion-mnist"), new CanvasPipeline(Config.CanvasSize, Config.ImageSize));

    public void Dispose()
    {
        _zoo?.Dispose();
        _cache.Dispose();
    }
}

public sealed class DemoZooTests : IClassFixture<DemoZooFixture>
{
    private const string Need = "apt-get install dataset-fashion-mnist (./setup.sh)";
    private readonly DemoZooFixture _f;
    private readonly ITestOutputHelper _out;

    public DemoZooTests(DemoZooFixture f, ITestOutputHelper output) { _f = f; _out = output; }

    private int[] TestIdx(int n) => Samplers.Limit(_f.Test, n, 11).OrderBy(i => i).ToArray();

    [PathFact(DemoZooFixture.Folder, Need)]
    public void EveryZooModelAndTheGuideBeatChanceOnCleanTestImages()
    {
        var zoo = _f.Zoo;
        using var zeroShot = new OfflineZeroShotPromptable(zoo.Guide, _f.Train.Classes);
        var models = zoo.Models.Append(zeroShot).ToArray();
        var idx = TestIdx(200);
        var results = CandidateScorer.Evaluate(models, new[] { new CandidateScorer.NamedPrompt("none", null) }, _f.TestBatches(), idx, 100);
        foreach (var r in results) _out.WriteLine($"{r.Model}: clean test top-1 {100 * r.Top1:F1}% on {r.Count} images (held-out at training: {(zoo.HoldoutTop1.TryGetValue(r.Model, out var h) ? $"{100 * h:F1}%" : "-")})");
        _out.WriteLine($"guide held-out zero-shot {100 * zoo.GuideHoldoutZeroShot:F1}%, logit scale {zoo.Guide.LogitScale:F2}");
        Assert.Equal(new[] { "zoo-linear", "zoo-mlp", "zoo-attention", "zoo-prototype", "zoo-cnn", "guide-zero-shot" }, results.Select(r => r.Model));
        // Chance is 10%; with 200 images 20% is more than four standard deviations above it.
        foreach (var r in results) Assert.True(r.Top1 > 0.2, $"{r.Model}: top-1 {r.Top1:P1} is not above chance");
        // The shared-encoder heads see real pretrained features: they should do far better than chance.
        foreach (var r in results.Take(4)) Assert.True(r.Top1 > 0.5, $"{r.Model}: top-1 {r.Top1:P1} on clean images");
        Assert.True(zoo.GuideHoldoutZeroShot > 0.2, $"guide held-out zero-shot {zoo.GuideHoldoutZeroShot:P1}");
    }

    [PathFact(DemoZooFixture.Folder, Need)]
    public void SharedEncoderRunsOnceForAllHeadsAndMatchesAnUncachedCall()
    {
        var zoo = _f.Zoo;
        var heads = zoo.Models.OfType<ZooHeadPromptable>().ToArray();
        Assert.Equal(4, heads.Length);
        Assert.All(heads, h => Assert.Same(heads[0].Encoder, h.Encoder));
        Assert.IsNotType<IEncoderFeatures>(zoo.Models[4], exactMatch: false);
        using var scope = NewDisposeScope();
        using var batch = _f.TestBatches().Make(TestIdx(8), training: false, rng: null);
        var enc = heads[0].Encoder;
        using var _ = no_grad();
        enc.Forget();
        long before = enc.Runs;
        var memoised = heads.Select(h => h.ImageFeatures(batch.Canvas)).ToArray();
        var pooled = heads[0].EncoderFeatures(batch.Canvas);
        Assert.Equal(1, enc.Runs - before);
        // A tensor over the same memory (what .to(same device) returns) also hits the memo.
        using (var same = batch.Canvas.to(CPU)) heads[0].ImageFeatures(same);
        Assert.Equal(1, enc.Runs - before);
        for (int i = 0; i < heads.Length; i++)
        {
            enc.Forget();
            var fresh = heads[i].ImageFeatures(batch.Canvas.clone());
            Assert.True(fresh.allclose(memoised[i], rtol: 1e-5, atol: 1e-5), $"{heads[i].Info.Name}: memoised features differ from an uncached call");
        }
        Assert.Equal(1 + heads.Length, enc.Runs - before);
        Assert.Equal(new long[] { 8, 512 }, pooled.shape);
    }

    [PathFact(DemoZooFixture.Folder, Need)]
    public void GradientsReachThePromptThroughTheZooAndTheGuideAndTheSharedForwardIsExact()
    {
        var zoo = _f.Zoo;
        var source = (ZooHeadPromptable)zoo.Models[0];
        foreach (var m in zoo.Models.OfType<ILabelledClassifier>()) m.Mapping = LabelMapping.Identity(_f.Train.Classes, m.Labels.Count);
        using var tse = new TaskSemantics(zoo.Guide);
        using var batch = _f.TestBatches().Make(TestIdx(4), training: false, rng: null);
        var labels = batch.Task.Targets.Select(t => _f.Train.Classes[t]).ToArray();
        using var prompt = new VisualPrompt(PromptShape.Padding, 64, 8);
        using (no_grad()) prompt.Delta.copy_(randn(3, 64, 64, generator: new Generator(3)) * 0.1f);

        Tensor Grad(Func<Tensor, Tensor> loss)
        {
            using var scope = NewDisposeScope();
            prompt.Delta.grad?.zero_();
            source.Encoder.Forget();
            var prompted = prompt.Apply(batch.Canvas);
            loss(prompted).backward();
            return prompt.Delta.grad!.clone().MoveToOuterDisposeScope();
        }

        // Task loss and TSE in one objective: the guide reuses the source's encoder forward (memo under grad).
        tse.Similarity(batch.Canvas, labels).Dispose();   // caches the label texts outside the counted call
        long runs = source.Encoder.Runs;
        // As in the trainer, a no-grad pass on the clean canvas (FCA's reference) comes in between: it has its own slot.
        using var joint = Grad(p =>
        {
            var loss = source.TaskLoss(p, batch.Task);
            using (no_grad()) source.ImageFeatures(batch.Canvas).Dispose();
            return loss - tse.Similarity(p, labels) * 0.5;
        });
        Assert.Equal(2, source.Encoder.Runs - runs);
        using var task = Grad(p => source.TaskLoss(p, batch.Task));
        using var sem = Grad(p => -tse.Similarity(p, labels) * 0.5);
        using var inside = joint * prompt.Mask;
        using var outside = joint * (1 - prompt.Mask);
        Assert.True(inside.abs().sum().item<float>() > 0, "no gradient reached the prompt");
        Assert.Equal(0f, outside.abs().sum().item<float>());
        using var sum = task + sem;
        var diff = (joint - sum).abs().max().item<float>();
        _out.WriteLine($"|grad(task + tse) - (grad task + grad tse)| max = {diff:E2}, |grad| max = {joint.abs().max().item<float>():E2}");
        Assert.True(diff <= 1e-5 + 1e-4 * joint.abs().max().item<float>(), $"shared-forward gradient differs by {diff}");
        Assert.True(task.abs().sum().item<float>() > 0 && sem.abs().sum().item<float>() > 0);

        // Through the CNN (no shared encoder) too.
        using var cnn = Grad(p => zoo.Models[4].TaskLoss(p, batch.Task));
        Assert.True(cnn.abs().sum().item<float>() > 0);
    }

    [PathFact(DemoZooFixture.Folder, Need)]
    public void ASecondPrepareLoadsFromTheCacheWithoutTraining()
    {
        var first = _f.Zoo;
        var folder = _f.Config.Folder(_f.CacheRoot);
        var files = Directory.GetFiles(folder, "*.safetensors");
        Assert.Contains(files, p => p.EndsWith("offline-guide.safetensors"));
        Assert.Contains(files, p => Path.GetFileName(p).StartsWith("features-"));
        var stamps = files.ToDictionary(p => p, File.GetLastWriteTimeUtc);
        using var again = DemoZoo.Prepare(_f.Config, _f.Train, _f.TrainIdx, CPU, fresh: false, new SilentProgress(), default, _f.CacheRoot);
        Assert.Empty(again.Trained);
        Assert.Equal(first.HoldoutTop1, again.HoldoutTop1);
        foreach (var (p, t) in stamps) Assert.Equal(t, File.GetLastWriteTimeUtc(p));
        // The zoo family loads a cached zoo file by path, and the guide family by file.
        Assert.True(new ZooFamily(new SharedEncoders()).CanLoad(ZooStore.PathOf(folder, "mlp")));
        using var mlp = new ZooFamily(new SharedEncoders()).Load(ZooStore.PathOf(folder, "mlp"), CPU);
        Assert.Equal("zoo-mlp", mlp.Info.Name);
        Assert.IsAssignableFrom<IEncoderFeatures>(mlp);
        var guideFile = Path.Combine(folder, OfflineGuide.FileName);
        Assert.True(new OfflineGuideFamily(new SharedEncoders()).CanLoad(guideFile));
        Assert.False(new OfflineGuideFamily(new SharedEncoders()).CanLoad(ZooStore.PathOf(folder, "mlp")));
    }

    [Fact]
    public void ZooFileErrorsNameTheFile()
    {
        using var dir = new TempDir();
        var path = dir.File("zoo-linear.safetensors");
        Tvp.IO.SafeTensorFile.Write(path, new Dictionary<string, Tensor> { ["x"] = zeros(2) }, new Dictionary<string, string> { ["format"] = "tvp-zoo", ["kind"] = "linear", ["classes"] = "[\"a\",\"b\"]", ["resolution"] = "64" });
        var e = Assert.Throws<InvalidDataException>(() => ZooStore.Load(path, CPU, new SharedEncoders()));
        Assert.Contains(path, e.Message);
        Assert.Contains("missing tensor", e.Message);
        Assert.False(new ZooFamily(new SharedEncoders()).CanLoad(dir.File("nothing.safetensors")));
    }
}
