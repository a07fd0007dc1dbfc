namespace Tvp.Evaluation;

/// <summary>Accuracy of one model under one prompt (or none) on one split.</summary>
/// <param name="Model">Model name.</param>
/// <param name="Prompt">Prompt name ("none" for no prompt).</param>
/// <param name="Top1">Top-1 accuracy in [0,1].</param>
/// <param name="Top5">Top-5 accuracy in [0,1] when there are more than 5 candidates, else null.</param>
/// <param name="Count">Number of images.</param>
/// <param name="Predictions">Predicted candidate index per image.</param>
/// <param name="Correct">Top-1 correctness per image, in the order of the evaluated indices (for paired tests and exact merges); null when not recorded.</param>
public sealed record EvaluationResult(string Model, string Prompt, double Top1, double? Top5, int Count, int[] Predictions, bool[]? Correct = null);
