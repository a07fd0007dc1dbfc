namespace Tvp.Data.Tasks;

/// <summary>One question about one image: a VQA-style task example (yes/no, counting, classification by text).</summary>
/// <param name="Image">Image path (absolute, or resolved against the task file's folder).</param>
/// <param name="Question">The question text (the model's template wraps it).</param>
/// <param name="Answer">The right answer.</param>
/// <param name="Candidates">Candidate answers for scoring; empty for open (generated) answers.</param>
public sealed record TaskExample(string Image, string Question, string Answer, IReadOnlyList<string> Candidates);
