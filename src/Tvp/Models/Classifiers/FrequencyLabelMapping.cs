using Tvp.Data;
using static TorchSharp.torch;

namespace Tvp.Models.Classifiers;

/// <summary>
/// Frequency label mapping (FLM): run the unprompted classifier over labelled training images, count how
/// often each task class is predicted as each model label, and assign labels one-to-one by those counts
/// (<see cref="LabelMapping.Frequency"/>).
/// </summary>
internal static class FrequencyLabelMapping
{
    /// <summary>Counts[c, l]: images of task class c predicted as model label l.</summary>
    /// <param name="model">The classifier (unprompted).</param>
    /// <param name="data">Labelled images; its classes are the task classes.</param>
    /// <param name="toCanvas">Turns one decoded image [3,H,W] into the model's input canvas [3,h,w] (all the same size).</param>
    /// <param name="batchSize">Images per forward pass.</param>
    public static long[,] Count(ILabelledClassifier model, IImageDataset data, Func<Tensor, Tensor> toCanvas, int batchSize)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), "batch size must be positive");
        var counts = new long[data.Classes.Count, model.Labels.Count];
        using var _ = no_grad();
        for (int start = 0; start < data.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            int n = Math.Min(batchSize, data.Count - start);
            var canvases = new Tensor[n];
            for (int i = 0; i < n; i++) canvases[i] = toCanvas(data.LoadImage(start + i)); // freed with the scope
            AddPredictions(counts, model, stack(canvases), Enumerable.Range(start, n).Select(data.LabelOf).ToArray()); // [n, 3, h, w]
        }
        return counts;
    }

    /// <summary>Adds one batch to counts[task class, predicted model label] (no gradient; the caller owns the dispose scope).</summary>
    public static void AddPredictions(long[,] counts, ILabelledClassifier model, Tensor canvases, IReadOnlyList<int> taskLabels)
    {
        using var _ = no_grad();
        var predicted = model.Logits(canvases.to(model.Device)).argmax(1).cpu().data<long>().ToArray(); // [n]
        for (int i = 0; i < predicted.Length; i++) counts[taskLabels[i], predicted[i]]++;
    }

    /// <summary>The one-to-one frequency mapping of <paramref name="data"/>'s classes to <paramref name="model"/>'s labels.</summary>
    public static LabelMapping Compute(ILabelledClassifier model, IImageDataset data, Func<Tensor, Tensor> toCanvas, int batchSize) =>
        LabelMapping.Frequency(data.Classes, Count(model, data, toCanvas, batchSize));
}
