namespace Tvp.Server;

/// <summary>Settings of <c>tvp serve</c>.</summary>
/// <param name="Host">Listening address, API key, limits, logs.</param>
/// <param name="Model">The checkpoint folder to serve.</param>
/// <param name="Prompt">A prompt file put on every image before the model sees it; null: images as sent.</param>
/// <param name="ModelId">The model's id in the API; null: the folder's name.</param>
/// <param name="QueueCapacity">Requests that may wait for the model; one more gets 429.</param>
/// <param name="MaxBatch">Generation requests run together in one batch.</param>
/// <param name="MaxTokens">Largest <c>max_tokens</c> accepted (also the default).</param>
/// <param name="MaxCandidates">Most candidates one <c>/v1/score</c> request may carry.</param>
public sealed record ServeOptions(HostOptions Host, string Model, string? Prompt = null, string? ModelId = null,
    int QueueCapacity = 64, int MaxBatch = 8, int MaxTokens = 256, int MaxCandidates = 100)
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the flag for an invalid setting.</summary>
    public void Validate()
    {
        Host.Validate();
        if (!Directory.Exists(Model)) throw new ArgumentException($"--model {Model}: folder not found");
        if (Prompt is not null && !File.Exists(Prompt)) throw new ArgumentException($"--prompt {Prompt}: file not found");
        if (QueueCapacity < 1) throw new ArgumentException("--queue must be at least 1");
        if (MaxBatch < 1) throw new ArgumentException("--max-batch must be at least 1");
        if (MaxTokens < 1) throw new ArgumentException("--max-tokens must be at least 1");
        if (MaxCandidates < 1) throw new ArgumentException("--max-candidates must be at least 1");
    }
}
