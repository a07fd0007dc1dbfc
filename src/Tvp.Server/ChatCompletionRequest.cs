using System.Text.Json.Nodes;

namespace Tvp.Server;

/// <summary>
/// What <c>tvp serve</c> reads from an OpenAI chat-completions (or <c>/v1/score</c>) request: the model, the
/// last user message's text and images, <c>max_tokens</c>, <c>stream</c>. Sampling settings are ignored
/// (decoding is greedy); <c>n</c> other than 1 is refused.
/// </summary>
/// <param name="Model">The <c>model</c> field.</param>
/// <param name="Question">Text of the last user message.</param>
/// <param name="Images">Its image parts.</param>
/// <param name="MaxTokens">Tokens to generate at most.</param>
/// <param name="Stream">Answer as server-sent events.</param>
/// <param name="IncludeUsage">Send a last chunk with token counts (<c>stream_options.include_usage</c>).</param>
/// <param name="Body">The whole request.</param>
public sealed record ChatCompletionRequest(string Model, string Question, IReadOnlyList<ImagePart> Images, int MaxTokens,
    bool Stream, bool IncludeUsage, JsonObject Body)
{
    /// <summary>Parses and checks a request body against the served model and limits.</summary>
    /// <exception cref="ApiException">400 for malformed fields, 404 for another model.</exception>
    public static ChatCompletionRequest Parse(byte[] body, string servedModel, ServerLimits limits, int maxTokens)
    {
        var request = ChatImages.ParseBody(body);
        var model = ChatImages.Model(request) ?? throw ApiException.BadRequest("'model' is required", "missing_model", "model");
        if (model != servedModel)
            throw new ApiException(404, $"the model '{model}' does not exist here (this server serves '{servedModel}')", "model_not_found", "model");
        var messages = ChatImages.Messages(request);
        int last = -1;
        for (int i = 0; i < messages.Count; i++) if (ChatImages.Role((JsonObject)messages[i]!) == "user") last = i;
        if (last < 0) throw ApiException.BadRequest("'messages' has no user message", "invalid_messages", "messages");
        var images = ChatImages.Find(request, limits.MaxImagesPerRequest).Where(p => p.MessageIndex == last).ToArray();
        int tokens = Int(request, "max_completion_tokens") ?? Int(request, "max_tokens") ?? maxTokens;
        if (tokens < 1 || tokens > maxTokens)
            throw ApiException.BadRequest($"max_tokens must be between 1 and {maxTokens} (--max-tokens)", "invalid_max_tokens", "max_tokens");
        if (Int(request, "n") is int n && n != 1) throw ApiException.BadRequest("only n = 1 is supported (greedy decoding)", "invalid_n", "n");
        bool stream = Bool(request, "stream") ?? false;
        bool usage = request["stream_options"] is JsonObject so && (Bool(so, "include_usage") ?? false);
        return new ChatCompletionRequest(model, ChatImages.Text((JsonObject)messages[last]!), images, tokens, stream, usage, request);
    }

    private static int? Int(JsonObject o, string name)
    {
        if (o[name] is null) return null;
        if (o[name] is JsonValue v && v.TryGetValue<int>(out var i)) return i;
        throw ApiException.BadRequest($"'{name}' must be an integer", "invalid_" + name, name);
    }

    private static bool? Bool(JsonObject o, string name)
    {
        if (o[name] is null) return null;
        if (o[name] is JsonValue v && v.TryGetValue<bool>(out var b)) return b;
        throw ApiException.BadRequest($"'{name}' must be true or false", "invalid_" + name, name);
    }
}
