using Tvp.Data;
using Tvp.Models;

namespace Tvp.Bench;

/// <summary>
/// The task the classifier speed benchmarks time: ten placeholder classes, mapped to a classifier's first ten labels,
/// images labelled 0, 1, …, 9, 0, … (what is timed does not depend on the labels).
/// </summary>
public static class SyntheticTask
{
    /// <summary>The ten class names.</summary>
    public static readonly string[] Classes = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];

    /// <summary>A batch of <paramref name="images"/> images labelled i mod 10.</summary>
    public static TaskBatch Batch(int images) => TaskBatch.Classification(Classes, Enumerable.Range(0, images).Select(i => i % 10).ToArray());

    /// <summary>Maps the classes to the model's first ten labels when it is a labelled classifier.</summary>
    public static void MapLabels(IPromptableModel model)
    {
        if (model is ILabelledClassifier lc) lc.Mapping = LabelMapping.Identity(Classes, lc.Labels.Count);
    }
}
