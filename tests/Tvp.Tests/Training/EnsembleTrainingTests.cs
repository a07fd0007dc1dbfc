using Tvp.Evaluation;
using Tvp.Models;
using Tvp.Prompts;
using Tvp.Training;
using static TorchSharp.torch;

namespace Tvp.Tests.Training;

public class EnsembleTrainingTests
{
    private static readonly TvpOptions Options = new()
    {
        CanvasSize = 16, ImageSize = 8, PromptSize = 4, BatchSize = 8, EvalBatchSize = 16, Epochs = 2,
        Lr = 3, Fca = 0.05, Tse = 0, ValidateEvery = 1000, CheckpointEvery = 1000, LogEvery = 1, Seed = 11,
    };

    private static (Tensor Prompt, List<TrainingStep> Steps) Train(params IPromptableModel[] sources)
    {
        var data = new ToyTask(40, seed: 3);
        var batches = new CanvasBatches(data, new CanvasPipeline(16, 8));
        using var prompt = new VisualPrompt(PromptShape.Padding, 16, 4);
        var steps = new List<TrainingStep>();
        new PromptTrainer(sources, Options.Trainer, observer: new Recorder(steps)).Train(prompt, batches, Enumerable.Range(0, 32).ToArray(), Array.Empty<int>());
        return (prompt.Values(), steps);
    }

    [Fact]
    public void Two_copies_of_one_source_double_the_loss_and_give_the_same_prompt_under_the_normalised_step()
    {
        using var a = new ToyClassifier(seed: 1);
        using var b = new ToyClassifier(seed: 1);
        var (single, s1) = Train(a);
        var (twice, s2) = Train(a, b);
        // The normalised step only sees the gradient's direction, and 2·L has the direction of L.
        Assert.True(single.allclose(twice, 1e-5, 1e-5));
        for (int i = 0; i < s1.Count; i++)
        {
            Assert.Equal(2 * s1[i].Task, s2[i].Task, 4);
            Assert.Equal(2 * s1[i].Fca, s2[i].Fca, 4);
        }
        single.Dispose(); twice.Dispose();
    }

    [Fact]
    public void An_ensemble_of_different_sources_learns_a_prompt_unlike_either_alone()
    {
        using var a = new ToyClassifier(seed: 1);
        using var c = new ToyClassifier(seed: 4);
        var (pa, _) = Train(a);
        var (pc, _) = Train(c);
        var (both, steps) = Train(a, c);
        Assert.False(both.allclose(pa, 1e-4, 1e-4));
        Assert.False(both.allclose(pc, 1e-4, 1e-4));
        Assert.All(steps, s => Assert.True(double.IsFinite(s.Loss)));
        pa.Dispose(); pc.Dispose(); both.Dispose();
    }

    private sealed class Recorder(List<TrainingStep> steps) : ITrainingObserver
    {
        public void OnStep(TrainingStep s) => steps.Add(s);
        public void OnValidation(long s, double top1, bool improved) { }
        public void OnMessage(string message) { }
    }
}
