using Tvp.Evaluation;
using Tvp.Models;
using Tvp.Training;
using static TorchSharp.torch;

namespace Tvp.Experiments;

/// <summary>
/// Gives every labelled classifier its task → model label mapping: identity (by name when the labels are the
/// task's classes, else by index), an explicit file, frequency label mapping (FLM) computed from the unprompted
/// model's predictions on the training images, or iterative label mapping (ILM: FLM recomputed on the PROMPTED
/// training images at each epoch start, see <see cref="IterativeLabelMapping"/>). Models that score candidate text
/// themselves are left alone.
/// </summary>
internal static class LabelMapper
{
    /// <summary>Sets <see cref="ILabelledClassifier.Mapping"/> per <paramref name="spec"/> (identity | frequency | iterative | file path); iterative starts as frequency.</summary>
    public static LabelMapping? Apply(IPromptableModel model, LabelMapChoice spec, IReadOnlyList<string> taskClasses,
        CanvasBatches batches, IReadOnlyList<int> trainIdx, int batchSize, IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        if (model is not ILabelledClassifier clf) return null;
        LabelMapping mapping;
        if (spec.Kind == LabelMapKind.Identity)
        {
            var byName = taskClasses.Select(c => IndexOf(clf.Labels, c)).ToArray();
            mapping = byName.All(i => i >= 0) && byName.Distinct().Count() == byName.Length
                ? new LabelMapping(taskClasses, byName, "identity")
                : LabelMapping.Identity(taskClasses, clf.Labels.Count);
        }
        else if (spec.IsFrequency)
        {
            mapping = Frequency(clf, taskClasses, batches, trainIdx, batchSize, progress, cancel);
        }
        else
        {
            mapping = LabelMapping.FromFile(spec.Path ?? "", taskClasses, clf.Labels);
        }
        clf.Mapping = mapping;
        return mapping;
    }

    /// <summary>
    /// FLM: counts[c, l] of training images of class c predicted as model label l, then a collision-free greedy
    /// assignment. The images are unprompted, or carry <paramref name="prompt"/> when given (ILM).
    /// </summary>
    public static LabelMapping Frequency(ILabelledClassifier model, IReadOnlyList<string> taskClasses, CanvasBatches batches,
        IReadOnlyList<int> trainIdx, int batchSize, IProgress<int>? progress = null, CancellationToken cancel = default, Prompts.VisualPrompt? prompt = null)
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
                var canvas = batch.Canvas.to(model.Device);
                if (prompt is not null) canvas = prompt.Apply(canvas);
                Models.Classifiers.FrequencyLabelMapping.AddPredictions(counts, model, canvas, batch.Indices.Select(batches.Data.LabelOf).ToArray());
                done += batch.Indices.Length;
                progress?.Report(done);
            }
        }
        var mapping = LabelMapping.Frequency(taskClasses, counts);
        return prompt is null ? mapping : new LabelMapping(mapping.TaskClasses, mapping.ModelLabels, "iterative");
    }

    private static int IndexOf(IReadOnlyList<string> labels, string name)
    {
        for (int i = 0; i < labels.Count; i++)
            if (string.Equals(labels[i], name, StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }
}
