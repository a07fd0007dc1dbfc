using Tvp.Evaluation;
using Tvp.Prompts;
using Tvp.Training;
using static TorchSharp.torch;

namespace Tvp.Tests.Training;

public class TrainerTests
{
    private static readonly TvpOptions Options = new()
    {
        CanvasSize = 16, ImageSize = 8, PromptSize = 4, BatchSize = 8, EvalBatchSize = 16, Epochs = 2,
        Lr = 3, ValidateEvery = 5, CheckpointEvery = 3, LogEvery = 1, Seed = 7,
    };

    private static (ToyTask Data, CanvasBatches Batches, int[] Train, int[] Val) Setup()
    {
        var data = new ToyTask(60, seed: 3);
        var batches = new CanvasBatches(data, new CanvasPipeline(16, 8));
        return (data, batches, Enumerable.Range(0, 48).ToArray(), Enumerable.Range(48, 12).ToArray());
    }

    private static Tensor TrainOnce(TvpOptions o, string? checkpoint = null, string? metrics = null, bool resume = false, CancellationToken cancel = default)
    {
        var (_, batches, train, val) = Setup();
        using var model = new ToyClassifier();
        using var prompt = new VisualPrompt(PromptShape.Padding, 16, 4);
        new PromptTrainer(model, o.Trainer).Train(prompt, batches, train, val, checkpoint, metrics, resume, cancel);
        return prompt.Values();
    }

    [Fact]
    public void TrainingReducesTheTaskLossOnTheSource()
    {
        var (_, batches, train, val) = Setup();
        using var model = new ToyClassifier();
        using var prompt = new VisualPrompt(PromptShape.Padding, 16, 4);
        var steps = new List<TrainingStep>();
        var obs = new RecordingObserver(steps);
        var o = Options with { Epochs = 6, Fca = 0.005, Tse = 0 };
        var result = new PromptTrainer(model, o.Trainer, observer: obs).Train(prompt, batches, train, Array.Empty<int>());
        Assert.Equal(36, result.Steps);
        double first = steps.Take(6).Average(s => s.Task), last = steps.TakeLast(6).Average(s => s.Task);
        Assert.True(last < first, $"task loss did not fall: {first} → {last}");
        Assert.True(steps.All(s => s.Fca >= 0));
        Assert.True(prompt.Values().abs().sum().item<float>() > 0);
    }

    [Fact]
    public void SameSeedSamePromptAndOtherSeedOtherPrompt()
    {
        using var a = TrainOnce(Options);
        using var b = TrainOnce(Options);
        using var c = TrainOnce(Options with { Seed = 8 });
        Assert.True(a.allclose(b, 0, 0));
        Assert.False(a.allclose(c));
    }

    [Fact]
    public void ResumeFromACheckpointGivesTheSamePromptAsAnUninterruptedRun()
    {
        using var dir = new TempDir();
        using var straight = TrainOnce(Options);
        // Interrupt after step 4 (a final checkpoint holds the 4 completed steps), then resume.
        var ck = dir.File("checkpoint.safetensors");
        using var cts = new CancellationTokenSource();
        var (_, batches, train, val) = Setup();
        using (var model = new ToyClassifier())
        using (var prompt = new VisualPrompt(PromptShape.Padding, 16, 4))
        {
            var obs = new RecordingObserver(new List<TrainingStep>(), s => { if (s.Step == 4) cts.Cancel(); });
            var stop = Assert.Throws<TrainingInterruptedException>(() =>
                new PromptTrainer(model, Options.Trainer, observer: obs).Train(prompt, batches, train, val, ck, dir.File("m.jsonl"), false, cts.Token));
            Assert.Equal(4, stop.Step);
            Assert.Contains("interrupted at step 4", stop.Message);
        }
        Assert.True(File.Exists(ck));
        Assert.Equal("4", new Tvp.IO.SafeTensorFile(ck).Metadata["step"]);
        using var resumed = TrainOnce(Options, ck, dir.File("m.jsonl"), resume: true);
        Assert.True(straight.allclose(resumed, 1e-6, 1e-6));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void KeptPromptIsTheBestOnValidation()
    {
        var (_, batches, train, val) = Setup();
        using var model = new ToyClassifier();
        using var prompt = new VisualPrompt(PromptShape.Padding, 16, 4);
        var vals = new List<(long Step, double Top1, bool Improved)>();
        var obs = new RecordingObserver(new List<TrainingStep>(), null, (s, t, i) => vals.Add((s, t, i)));
        var result = new PromptTrainer(model, (Options with { Epochs = 4 }).Trainer, observer: obs).Train(prompt, batches, train, val);
        Assert.NotEmpty(vals);
        var best = vals.Where(v => v.Improved).Last();
        Assert.Equal(best.Step, result.BestStep);
        Assert.Equal(vals.Max(v => v.Top1), result.BestValidationTop1!.Value, 9);
        // The prompt left in place scores the best validation accuracy again.
        var again = CandidateScorer.Evaluate(new[] { model }, new[] { new CandidateScorer.NamedPrompt("p", prompt) }, batches, val, 16);
        Assert.Equal(result.BestValidationTop1!.Value, again[0].Top1, 9);
    }

    [Fact]
    public void TseTermEntersTheObjective()
    {
        var (_, batches, train, _) = Setup();
        using var model = new ToyClassifier();
        using var prompt = new VisualPrompt(PromptShape.Padding, 16, 4);
        using var guide = new ToyGuide();
        using var tse = new TaskSemantics(guide);
        var steps = new List<TrainingStep>();
        new PromptTrainer(model, (Options with { Epochs = 1, Tse = 0.5 }).Trainer, tse, new RecordingObserver(steps)).Train(prompt, batches, train, Array.Empty<int>());
        Assert.All(steps, s => Assert.NotEqual(0, s.Tse));
        Assert.All(steps, s => Assert.Equal(s.Task + 0.005 * s.Fca - 0.5 * s.Tse, s.Loss, 3));
        Assert.Equal(3, tse.CachedTexts);
    }

    private sealed class RecordingObserver : ITrainingObserver
    {
        private readonly List<TrainingStep> _steps;
        private readonly Action<TrainingStep>? _onStep;
        private readonly Action<long, double, bool>? _onVal;
        public RecordingObserver(List<TrainingStep> steps, Action<TrainingStep>? onStep = null, Action<long, double, bool>? onVal = null)
        { _steps = steps; _onStep = onStep; _onVal = onVal; }
        public void OnStep(TrainingStep step) { _steps.Add(step); _onStep?.Invoke(step); }
        public void OnValidation(long step, double top1, bool improved) => _onVal?.Invoke(step, top1, improved);
        public void OnMessage(string message) { }
    }
}
