using System.Text.Json.Nodes;

namespace Tvp.Server;

/// <summary>An <c>image_url</c> content part of a chat request: the JSON object holding the URL and its path for errors.</summary>
/// <param name="Holder">The <c>image_url</c> object (its <c>url</c> is read and may be replaced).</param>
/// <param name="Url">The URL as sent.</param>
/// <param name="Param">Where it sits, e.g. <c>messages[0].content[1].image_url.url</c>.</param>
/// <param name="MessageIndex">Index of the message holding it.</param>
public sealed record ImagePart(JsonObject Holder, string Url, string Param, int MessageIndex);

/// <summary>Finds the parts of an OpenAI chat-completions request: its model, its messages' image and text parts.</summary>
public static class ChatImages
{
    /// <summary>Parses a request body as a JSON object.</summary>
    /// <exception cref="ApiException">400 when the body is not a JSON object.</exception>
    public static JsonObject ParseBody(byte[] body)
    {
        try
        {
            return JsonNode.Parse(body) as JsonObject
                ?? throw ApiException.BadRequest("the request body must be a JSON object", "invalid_json");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw ApiException.BadRequest($"the request body is not valid JSON: {e.Message}", "invalid_json");
        }
    }

    /// <summary>The request's <c>model</c> field, or null when it has none.</summary>
    public static string? Model(JsonObject request) =>
        request["model"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>The request's <c>messages</c> array.</summary>
    /// <exception cref="ApiException">400 when missing or not an array of objects.</exception>
    public static JsonArray Messages(JsonObject request)
    {
        if (request["messages"] is not JsonArray messages || messages.Count == 0)
            throw ApiException.BadRequest("'messages' must be a non-empty array", "invalid_messages", "messages");
        for (int i = 0; i < messages.Count; i++)
            if (messages[i] is not JsonObject)
                throw ApiException.BadRequest($"messages[{i}] must be an object", "invalid_messages", $"messages[{i}]");
        return messages;
    }

    /// <summary>Every <c>image_url</c> part of every message, in order.</summary>
    /// <exception cref="ApiException">400 for a malformed image part or more than <paramref name="maxImages"/> images.</exception>
    public static IReadOnlyList<ImagePart> Find(JsonObject request, int maxImages)
    {
        var messages = Messages(request);
        var parts = new List<ImagePart>();
        for (int m = 0; m < messages.Count; m++)
        {
            if (messages[m]!["content"] is not JsonArray content) continue;
            for (int c = 0; c < content.Count; c++)
            {
                if (content[c] is not JsonObject part || TypeOf(part) != "image_url") continue;
                string param = $"messages[{m}].content[{c}].image_url";
                var holder = part["image_url"] as JsonObject;
                if (holder?["url"] is not JsonValue u || !u.TryGetValue<string>(out var url))
                    throw ApiException.BadRequest($"{param}.url must be a string", "invalid_image_url", param + ".url");
                parts.Add(new ImagePart(holder, url, param + ".url", m));
                if (parts.Count > maxImages)
                    throw ApiException.BadRequest($"more than {maxImages} images in one request (--max-images)", "too_many_images", param);
            }
        }
        return parts;
    }

    /// <summary>The text of a message: its string content, or its text parts joined by newlines.</summary>
    public static string Text(JsonObject message)
    {
        var content = message["content"];
        if (content is JsonValue v && v.TryGetValue<string>(out var s)) return s;
        if (content is not JsonArray parts) return "";
        return string.Join("\n", parts.OfType<JsonObject>().Where(p => TypeOf(p) == "text")
            .Select(p => p["text"] is JsonValue t && t.TryGetValue<string>(out var x) ? x : ""));
    }

    /// <summary>A message's <c>role</c>, or "" when it has none.</summary>
    public static string Role(JsonObject message) => message["role"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    private static string? TypeOf(JsonObject part) => part["type"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
