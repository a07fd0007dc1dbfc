using System.Text.Json;
using Tvp.Evaluation;
using Tvp.Models;
using Tvp.Prompts;
using Tvp.Tests.Training;
using Tvp.Tests.Prompts;
using Tvp.Tests.Experiments;
using Tvp.Training;
using Tvp.Data;
using Tvp.IO;
using static TorchSharp.torch;

namespace Tvp.Tests.IO;

public class NumericGuardTests
{
    private static readonly TvpOptions Options = new()
    {
        CanvasSize = 16, ImageSize = 8, PromptSize = 4, BatchSize = 8, EvalBatchSize = 16, Epochs = 2,
        Lr = 3, ValidateEvery = 2, CheckpointEvery = 3, LogEvery = 1, Seed = 7, Fca = 0, Tse = 0,
    };

    /// <summary>The toy classifier, but its task loss is NaN on the given training steps (1-based TaskLoss calls).</summary>
    private sealed class PoisonedModel : IPromptableModel
    {
        private readonly ToyClassifier _inner = new();
        private readonly HashSet<int> _poisoned;
        private int _calls;
        public PoisonedModel(params int[] poisonedSteps) => _poisoned = poisonedSteps.ToHashSet();
        public ModelInfo Info => _inner.Info;
        public Device Device => _inner.Device;
        public Tensor ImageFeatures(Tensor pixels) => _inner.ImageFeatures(pixels);
        public Tensor Score(Tensor pixels, TaskBatch batch) => _inner.Score(pixels, batch);
        public Tensor TaskLoss(Tensor pixels, TaskBatch batch)
        {
            var loss = _inner.TaskLoss(pixels, batch);
            return _poisoned.Contains(++_calls) ? loss * float.NaN : loss;
        }
        public void Dispose() => _inner.Dispose();
    }

    private sealed class MessageObserver(Action<string> onMessage) : ITrainingObserver
    {
        public void OnStep(TrainingStep step) { }
        public void OnValidation(long step, double top1, bool improved) { }
        public void OnMessage(string message) => onMessage(message);
    }

    private static (CanvasBatches Batches, int[] Train, int[] Val) Setup()
    {
        var data = new ToyTask(60, seed: 3);
        return (new CanvasBatches(data, new CanvasPipeline(16, 8)), Enumerable.Range(0, 48).ToArray(), Enumerable.Range(48, 12).ToArray());
    }

    [Fact]
    public void ANonFiniteLossStopsWithTheStepAndEachTermAndKeepsTheLastFiniteCheckpoint()
    {
        using var dir = new TempDir();
        var (batches, train, val) = Setup();
        using var model = new PoisonedModel(5);
        using var prompt = new VisualPrompt(PromptShape.Padding, 16, 4);
        var ck = dir.File("checkpoint.safetensors");
        var e = Assert.Throws<TrainingDivergedException>(() =>
            new PromptTrainer(model, Options.Trainer).Train(prompt, batches, train, val, ck, dir.File("metrics.jsonl")));
        Assert.Contains("step 5: non-finite loss", e.Message);
        Assert.Contains("loss NaN", e.Message);
        Assert.Contains("task NaN", e.Message);
        Assert.Contains("fca 0", e.Message);
        Assert.Contains("last finite checkpoint (step 3)", e.Message);
        Assert.Matches(@"best prompt \(step [24]\)", e.Message); // validated every 2 steps, before the fault
        Assert.Equal("3", new Tvp.IO.SafeTensorFile(ck).Metadata["step"]);
        var saved = Tvp.IO.Checkpoint.Open(ck);
        foreach (var name in new[] { "prompt", "best_prompt" })
            using (var t = saved.ReadFloat(name)) Assert.True(NumericGuard.AllFinite(t), name);
        Assert.True(NumericGuard.AllFinite(prompt.Delta), "the prompt left in place is the best (finite) one");
        foreach (var line in File.ReadLines(dir.File("metrics.jsonl"))) JsonDocument.Parse(line).Dispose(); // no NaN reached the JSON writer
    }

    [Fact]
    public void SkipPolicySkipsTheBatchAndCountsIt()
    {
        using var dir = new TempDir();
        var (batches, train, val) = Setup();
        using var model = new PoisonedModel(2, 5);
        using var prompt = new VisualPrompt(PromptShape.Padding, 16, 4);
        var messages = new List<string>();
        var obs = new MessageObserver(messages.Add);
        var r = new PromptTrainer(model, (Options with { OnNan = NanPolicy.Skip }).Trainer, observer: obs)
            .Train(prompt, batches, train, val, dir.File("checkpoint.safetensors"), dir.File("metrics.jsonl"));
        Assert.Equal(12, r.Steps);
        Assert.True(NumericGuard.AllFinite(prompt.Delta));
        var skipped = File.ReadLines(dir.File("metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(x => x.TryGetProperty("skipped", out _)).Select(x => (x.GetProperty("step").GetInt64(), x.GetProperty("skipped_total").GetInt64())).ToArray();
        Assert.Equal(new[] { (2L, 1L), (5L, 2L) }, skipped);
        Assert.Equal(2, messages.Count(m => m.Contains("batch skipped")));
    }

    [Fact]
    public void OptionsRoundTripThePolicy()
    {
        var o = new TvpOptions { OnNan = NanPolicy.Skip };
        Assert.Contains("\"on_nan\": \"Skip\"", o.ToJson());
        Assert.Equal(NanPolicy.Skip, TvpOptions.FromJson(o.ToJson()).OnNan);
        Assert.Throws<ArgumentException>(() => NanPolicies.Parse("ignore"));
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(1e30f)]
    public void PromptFilesWithNonFiniteOrAbsurdValuesAreRefusedAtLoad(float bad)
    {
        using var dir = new TempDir();
        var path = dir.File("p.safetensors");
        using (var p = new VisualPrompt(PromptShape.Padding, 16, 4))
        {
            using (no_grad()) p.Delta[0, 0, 0] = tensor(bad);
            PromptFile.Save(path, p, new PromptMetadata(PromptShape.Padding, 16, 8, 4));
        }
        var e = Assert.Throws<InvalidDataException>(() => PromptFile.Load(path));
        Assert.Contains("p.safetensors", e.Message);
        Assert.Contains("'prompt'", e.Message);
    }
}
