using Tvp.Data;
using Tvp.Evaluation;
using Tvp.Prompts;

namespace Tvp.Experiments;

/// <summary>The canvas batches of an experiment's training and test splits, with their decoded-image caches.</summary>
internal sealed class ExperimentBatches : IDisposable
{
    private readonly ImageCache _trainCache, _testCache;

    public CanvasBatches Train { get; }
    public CanvasBatches Test { get; }

    public ExperimentBatches(ExperimentData data, Training.TvpOptions o)
    {
        var pipeline = new CanvasPipeline(o.CanvasSize, o.ImageSize, o.Augmentation);
        _trainCache = new ImageCache(data.Train);
        _testCache = new ImageCache(data.Test);
        Train = new CanvasBatches(data.Train, pipeline, _trainCache);
        Test = new CanvasBatches(data.Test, pipeline, _testCache);
    }

    public void Dispose()
    {
        _trainCache.Dispose();
        _testCache.Dispose();
    }
}
