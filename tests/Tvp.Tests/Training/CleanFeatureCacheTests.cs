using Tvp.Evaluation;
using Tvp.Prompts;
using Tvp.Training;
using static TorchSharp.torch;

namespace Tvp.Tests.Training;

/// <summary>
/// FCA's clean features are computed once per image view and reused across epochs (issue 12, item 4): the cache changes
/// the cost, never the numbers.
/// </summary>
public sealed class CleanFeatureCacheTests
{
    private const int TrainCount = 32;

    private static (Tensor Prompt, PromptTrainer Trainer) Train(Augmentation augmentation, long cacheBytes, int epochs = 3)
    {
        var data = new ToyTask(40, seed: 3);
        var batches = new CanvasBatches(data, new CanvasPipeline(16, 8, augmentation));
        var options = new TrainerOptions
        {
            Lr = 3, Fca = 0.5, Tse = 0, BatchSize = 8, EvalBatchSize = 16, Epochs = epochs, ValidateEvery = 1000,
            CheckpointEvery = 1000, LogEvery = 1, Seed = 5, CleanFeatureCacheBytes = cacheBytes,
        };
        using var model = new ToyClassifier(seed: 2);
        using var prompt = new VisualPrompt(PromptShape.Padding, 16, 4);
        var trainer = new PromptTrainer(model, options);
        trainer.Train(prompt, batches, Enumerable.Range(0, TrainCount).ToArray(), Array.Empty<int>());
        return (prompt.Values(), trainer);
    }

    [Fact]
    public void Without_augmentation_each_image_is_computed_once_and_the_prompt_is_the_uncached_one()
    {
        var (cached, t1) = Train(Augmentation.None, 1 << 20);
        var (uncached, t2) = Train(Augmentation.None, 0);
        Assert.Equal(TrainCount, t1.CleanFeatureMisses);
        Assert.Equal(2 * TrainCount, t1.CleanFeatureHits);
        Assert.Equal(0, t2.CleanFeatureHits);
        Assert.Equal(3 * TrainCount, t2.CleanFeatureMisses);
        double diff = (cached - uncached).abs().max().item<float>();
        Assert.True(diff <= 1e-5, $"cached and recomputed clean features gave prompts {diff:E2} apart");
        Assert.True(cached.abs().max().item<float>() > 0, "the prompt was trained");
    }

    [Fact]
    public void With_flips_each_image_has_at_most_two_views()
    {
        var (_, t) = Train(Augmentation.Flip, 1 << 20, epochs: 4);
        Assert.Equal(4 * TrainCount, t.CleanFeatureHits + t.CleanFeatureMisses);
        Assert.InRange(t.CleanFeatureMisses, TrainCount, 2 * TrainCount);
        Assert.True(t.CleanFeatureHits >= 2 * TrainCount, $"{t.CleanFeatureHits} hits over 4 epochs of {TrainCount} images with 2 views each");
    }

    [Fact]
    public void With_the_papers_crop_and_flip_nothing_is_stored_and_the_prompt_is_the_same()
    {
        var (cached, t1) = Train(Augmentation.CropFlip, 1 << 20);
        var (uncached, _) = Train(Augmentation.CropFlip, 0);
        Assert.Equal(0, t1.CleanFeatureHits);                      // nothing is stored: views rarely repeat
        Assert.Equal(3 * TrainCount, t1.CleanFeatureMisses);
        Assert.True((cached - uncached).abs().max().item<float>() <= 1e-5);
    }

    [Fact]
    public void The_cache_keeps_to_its_budget_and_returns_what_compute_returns()
    {
        using var scope = NewDisposeScope();
        var canvas = rand(new long[] { 4, 3, 8, 8 }, generator: new Generator(1));
        int calls = 0;
        Tensor Compute(Tensor c) { calls++; return c.flatten(1) * 2; } // [B, 192] float32: 768 bytes a row
        var views = Enumerable.Range(0, 4).Select(i => new CanvasView(8, 0, 0, i % 2 == 0)).ToArray();
        using var cache = new CleanFeatureCache(2 * 768);
        var first = cache.Get(0, canvas, [0, 1, 2, 3], views, Compute);
        Assert.Equal(2 * 768, cache.Bytes);
        var second = cache.Get(0, canvas, [0, 1, 2, 3], views, Compute);
        Assert.Equal(2, calls);
        Assert.Equal(2, cache.Hits);
        Assert.Equal(6, cache.Misses);
        Assert.Equal(0f, (first - canvas.flatten(1) * 2).abs().max().item<float>());
        Assert.Equal(0f, (second - first).abs().max().item<float>());
        cache.Get(1, canvas, [0, 1, 2, 3], views, Compute);   // another source never sees source 0's entries
        Assert.Equal(2, cache.Hits);
        Assert.Throws<ArgumentException>(() => new CleanFeatureCache(-1));
    }
}
