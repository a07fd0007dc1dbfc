using System.Text.Json;

namespace Tvp.IO.Json;

/// <summary>A field value a strict converter refused; the message says what was expected (System.Text.Json adds the path).</summary>
internal sealed class JsonFieldException : JsonException
{
    /// <summary>Creates the exception: <paramref name="message"/> reads after the field name ("should be an integer, got …").</summary>
    public JsonFieldException(string message) : base(message) { }

    /// <summary>The raw JSON text of the current token, shortened for messages.</summary>
    public static string Raw(ref Utf8JsonReader reader)
    {
        string raw = reader.TokenType switch
        {
            JsonTokenType.String => "\"" + reader.GetString() + "\"",
            JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan.ToArray()),
            JsonTokenType.True => "true",
            JsonTokenType.False => "false",
            JsonTokenType.StartArray => "an array",
            JsonTokenType.StartObject => "an object",
            _ => reader.TokenType.ToString(),
        };
        return raw.Length > 40 ? raw[..40] + "…" : raw;
    }
}
