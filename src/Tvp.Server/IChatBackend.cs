using static TorchSharp.torch;

namespace Tvp.Server;

/// <summary>
/// The one seam between <c>tvp serve</c> and tvp's multimodal model code: everything the server asks of a model
/// goes through here, so re-pointing the server at another model family means writing one adapter
/// (<see cref="MultimodalChatBackend"/> serves every multimodal family). Called from the inference queue's single worker thread only.
/// </summary>
public interface IChatBackend : IDisposable
{
    /// <summary>The model's id in <c>/v1/models</c> and in requests' <c>model</c> field.</summary>
    string ModelId { get; }

    /// <summary>The model family (e.g. <c>llava</c>), for <c>/v1/models</c>' <c>owned_by</c>.</summary>
    string Family { get; }

    /// <summary>How many images one conversation turn may carry.</summary>
    int MaxImagesPerTurn { get; }

    /// <summary>Greedy answers for a batch of turns (one result per turn, in order).</summary>
    IReadOnlyList<GeneratedAnswer> Generate(IReadOnlyList<ChatTurn> turns);

    /// <summary>Log-probabilities of candidate answers to one turn.</summary>
    IReadOnlyList<CandidateScore> Score(ChatTurn turn, IReadOnlyList<string> candidates);
}

/// <summary>One question about one image, as the model sees it.</summary>
/// <param name="Image">The (prompted) image [3,H,W] in [0,1]; null when the request has none.</param>
/// <param name="Question">The user's text.</param>
/// <param name="MaxTokens">Most tokens to generate.</param>
/// <param name="IsCanvas">The image is a prompted canvas (resized whole to the model's input, as <c>tvp eval</c> does);
/// otherwise it is a photo, preprocessed as the checkpoint's <c>preprocessor_config.json</c> says (as <c>tvp generate --image</c>).</param>
public sealed record ChatTurn(Tensor? Image, string Question, int MaxTokens, bool IsCanvas = false);

/// <summary>A generated answer, token by token (so it can be streamed).</summary>
/// <param name="Pieces">The text each generated token adds (concatenated: the answer).</param>
/// <param name="PromptTokens">Tokens in the prompt (image positions counted once per image token).</param>
/// <param name="Finish">Why generation stopped.</param>
public sealed record GeneratedAnswer(IReadOnlyList<string> Pieces, int PromptTokens, FinishReason Finish)
{
    /// <summary>The whole answer.</summary>
    public string Text => string.Concat(Pieces);
}

/// <summary>Why generation stopped (OpenAI's <c>finish_reason</c>).</summary>
public enum FinishReason
{
    /// <summary>The model produced its end token.</summary>
    Stop,
    /// <summary>The token limit was reached.</summary>
    Length,
}

/// <summary>A candidate answer's log-probability under the model.</summary>
/// <param name="Text">The candidate.</param>
/// <param name="MeanLogProb">Mean per-token log-probability (what tvp's evaluation ranks by).</param>
/// <param name="SumLogProb">Sum of the per-token log-probabilities.</param>
public sealed record CandidateScore(string Text, double MeanLogProb, double SumLogProb);
