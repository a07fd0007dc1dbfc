using Tvp.Data;
using Tvp.Models;
using Tvp.Prompts;
using static TorchSharp.torch;

namespace Tvp.Evaluation;

/// <summary>One batch: the clean canvases [B,3,S,S] and the task side.</summary>
/// <param name="Canvas">Clean canvases (raw pixel space, no prompt).</param>
/// <param name="Task">Questions, candidates, targets.</param>
/// <param name="Indices">Dataset indices of the rows.</param>
/// <param name="Views">Where each row's inner image came from (crop and flip), when recorded.</param>
public sealed record CanvasBatch(Tensor Canvas, TaskBatch Task, int[] Indices, CanvasView[]? Views = null) : IDisposable
{
    /// <inheritdoc />
    public void Dispose() => Canvas.Dispose();
}

/// <summary>
/// Turns dataset indices into canvas batches through the image pipeline. The next batch is decoded on a
/// background thread while the current one is being used.
/// </summary>
public sealed class CanvasBatches
{
    private readonly ITaskDataset _data;
    private readonly ImageCache? _cache;
    private readonly CanvasPipeline _pipeline;

    /// <summary>Creates a batch source; <paramref name="cache"/> (optional) keeps decoded images.</summary>
    public CanvasBatches(ITaskDataset data, CanvasPipeline pipeline, ImageCache? cache = null)
    {
        _data = data;
        _pipeline = pipeline;
        _cache = cache;
    }

    /// <summary>The dataset.</summary>
    public ITaskDataset Data => _data;

    /// <summary>The pipeline's training-time augmentation.</summary>
    public Augmentation Augmentation => _pipeline.Augmentation;

    /// <summary>Builds one batch (decoding, resizing, cropping, padding) on the CPU.</summary>
    public CanvasBatch Make(int[] indices, bool training, Random? rng)
    {
        using var scope = NewDisposeScope();
        var images = indices.Select(i => _cache is null ? _data.LoadImage(i) : _cache.Get(i)).ToArray();
        var views = new CanvasView[indices.Length];
        var canvas = _pipeline.ToCanvas(images, training, rng, views);
        var task = _data.BatchOf(indices);
        return new CanvasBatch(canvas.MoveToOuterDisposeScope(), task, indices, views);
    }

    /// <summary>Evaluation batches (centre crop) of <paramref name="indices"/>, in order, decoded one batch ahead.</summary>
    public IEnumerable<CanvasBatch> Sequential(IReadOnlyList<int> indices, int batchSize)
    {
        var chunks = indices.Chunk(batchSize).ToArray();
        Task<CanvasBatch>? next = chunks.Length > 0 ? Task.Run(() => Make(chunks[0], false, null)) : null;
        for (int c = 0; c < chunks.Length; c++)
        {
            var current = next!.GetAwaiter().GetResult();
            int k = c + 1;
            next = k < chunks.Length ? Task.Run(() => Make(chunks[k], false, null)) : null;
            yield return current;
        }
    }
}
