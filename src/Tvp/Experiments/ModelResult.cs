namespace Tvp.Experiments;

/// <summary>One model's accuracy without and with the transferred prompt.</summary>
/// <param name="Model">Model name.</param>
/// <param name="Role">source or target.</param>
/// <param name="Top1NoPrompt">Top-1 without a prompt.</param>
/// <param name="Top1Prompt">Top-1 with the prompt.</param>
/// <param name="Top5NoPrompt">Top-5 without a prompt (more than 5 classes only).</param>
/// <param name="Top5Prompt">Top-5 with the prompt (more than 5 classes only).</param>
/// <param name="NTest">Number of test images.</param>
public sealed record ModelResult(string Model, string Role, double Top1NoPrompt, double Top1Prompt, double? Top5NoPrompt, double? Top5Prompt, int NTest);
