namespace Tvp.Models.Multimodal;

/// <summary>One generated answer.</summary>
/// <param name="Pieces">The text each generated token adds, in order (their concatenation is the answer).</param>
/// <param name="PromptTokens">Tokens of the prompt the answer continues (visual tokens not counted).</param>
/// <param name="Stopped">True when generation ended at the end-of-sequence token, false when it hit the token limit.</param>
public sealed record MultimodalAnswer(IReadOnlyList<string> Pieces, int PromptTokens, bool Stopped);
