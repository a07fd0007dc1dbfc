namespace Tvp.Data;

/// <summary>
/// The text side of a batch: per image, the question (prompt text), the candidate answers and the index
/// of the right one. Classification is the case "question = This is a photo of a, candidates = class names".
/// </summary>
public sealed class TaskBatch
{
    /// <summary>The paper's classification question.</summary>
    public const string PhotoQuestion = "This is a photo of a";

    /// <summary>Per image: the question / prompt text.</summary>
    public IReadOnlyList<string> Questions { get; }

    /// <summary>Per image: the candidate answers. For classification all rows share one list.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Candidates { get; }

    /// <summary>Per image: index of the right candidate (-1 when unknown).</summary>
    public IReadOnlyList<int> Targets { get; }

    /// <summary>True when every row has the same candidate list (classification); models may batch on that.</summary>
    public bool SharedCandidates { get; }

    /// <summary>Number of images.</summary>
    public int Count => Questions.Count;

    /// <summary>Creates a batch; all lists must have the same length and targets must index the candidates.</summary>
    public TaskBatch(IReadOnlyList<string> questions, IReadOnlyList<IReadOnlyList<string>> candidates, IReadOnlyList<int> targets)
    {
        if (questions.Count != candidates.Count || questions.Count != targets.Count)
            throw new ArgumentException($"task batch: {questions.Count} questions, {candidates.Count} candidate lists, {targets.Count} targets");
        for (int i = 0; i < targets.Count; i++)
            if (targets[i] < -1 || targets[i] >= candidates[i].Count)
                throw new ArgumentException($"task batch: row {i} target {targets[i]} is outside its {candidates[i].Count} candidates");
        Questions = questions;
        Candidates = candidates;
        Targets = targets;
        SharedCandidates = candidates.Count > 0 && candidates.All(c => ReferenceEquals(c, candidates[0]));
    }

    /// <summary>A classification batch: every row asks <paramref name="question"/> with the class names as candidates.</summary>
    public static TaskBatch Classification(IReadOnlyList<string> classNames, IReadOnlyList<int> labels, string question = PhotoQuestion)
    {
        var q = Enumerable.Repeat(question, labels.Count).ToArray();
        var c = Enumerable.Repeat(classNames, labels.Count).ToArray();
        return new TaskBatch(q, c, labels);
    }

    /// <summary>Rows [start, start+count) as a new batch.</summary>
    public TaskBatch Slice(int start, int count) => new(
        Questions.Skip(start).Take(count).ToArray(),
        Candidates.Skip(start).Take(count).ToArray(),
        Targets.Skip(start).Take(count).ToArray());
}
