namespace Tvp.Data.Tasks;

/// <summary>One line of a JSONL task file (strings may be written as numbers).</summary>
/// <param name="Image">image: path relative to the task file.</param>
/// <param name="Question">question.</param>
/// <param name="Answer">answer.</param>
/// <param name="Candidates">candidates: the answer choices (optional).</param>
internal sealed record TaskLineJson(string? Image, string? Question, string? Answer, IReadOnlyList<string>? Candidates);
