using Tvp.Evaluation;
using Tvp.Models;
using static TorchSharp.torch;

namespace Tvp.Experiments;

/// <summary>
/// Gives every labelled classifier its task → model label mapping: identity (by name when the labels are the
/// task's classes, else by index), an explicit file, or frequency label mapping computed from the unprompted
/// model's predictions on the training images. Models that score candidate text themselves are left alone.
/// </summary>
public static class LabelMappings
{
    /// <summary>Sets <see cref="ILabelledClassifier.Mapping"/> per <paramref name="spec"/> (identity | frequency | file path).</summary>
    public static LabelMapping? Apply(IPromptableModel model, string spec, IReadOnlyList<string> taskClasses,
        CanvasBatches batches, IReadOnlyList<int> trainIdx, int batchSize, IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        if (model is not ILabelledClassifier clf) return null;
        LabelMapping mapping;
        if (spec == "identity")
        {
            var byName = taskClasses.Select(c => IndexOf(clf.Labels, c)).ToArray();
            mapping = byName.All(i => i >= 0) && byName.Distinct().Count() == byName.Length
                ? new LabelMapping(taskClasses, byName, "identity")
                : LabelMapping.Identity(taskClasses, clf.Labels.Count);
        }
        else if (spec == "frequency")
        {
            mapping = Frequency(clf, taskClasses, batches, trainIdx, batchSize, progress, cancel);
        }
        else
        {
            mapping = LabelMapping.FromFile(spec, taskClasses, clf.Labels);
        }
        clf.Mapping = mapping;
        return mapping;
    }

    /// <summary>FLM: counts[c, l] of unprompted training images of class c predicted as model label l, then a collision-free greedy assignment.</summary>
    public static LabelMapping Frequency(ILabelledClassifier model, IReadOnlyList<string> taskClasses, CanvasBatches batches,
        IReadOnlyList<int> trainIdx, int batchSize, IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        var counts = new long[taskClasses.Count, model.Labels.Count];
        int done = 0;
        using var _ = no_grad();
        foreach (var batch in batches.Sequential(trainIdx, batchSize))
        {
            cancel.ThrowIfCancellationRequested();
            using (batch)
            using (var scope = NewDisposeScope())
            {
                Models.Classifiers.FrequencyLabelMapping.AddPredictions(counts, model, batch.Canvas, batch.Indices.Select(batches.Data.LabelOf).ToArray());
                done += batch.Indices.Length;
                progress?.Report(done);
            }
        }
        return LabelMapping.Frequency(taskClasses, counts);
    }

    private static int IndexOf(IReadOnlyList<string> labels, string name)
    {
        for (int i = 0; i < labels.Count; i++)
            if (string.Equals(labels[i], name, StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }
}
