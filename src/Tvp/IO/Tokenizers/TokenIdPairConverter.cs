using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tvp.IO.Tokenizers;

/// <summary>A special token and its id, written in tokenizer.json's post-processor as a pair <c>["&lt;|startoftext|&gt;", 49406]</c>.</summary>
/// <param name="Token">The token text.</param>
/// <param name="Id">Its id.</param>
internal sealed record TokenIdPair(string Token, int Id);

/// <summary>Reads a <c>[token, id]</c> pair into a <see cref="TokenIdPair"/> (any other shape is a <see cref="JsonException"/>).</summary>
internal sealed class TokenIdPairConverter : JsonConverter<TokenIdPair>
{
    /// <inheritdoc/>
    public override TokenIdPair Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("expected a [token, id] pair");
        if (!reader.Read() || reader.TokenType != JsonTokenType.String) throw new JsonException("expected a [token, id] pair (token first)");
        var token = reader.GetString()!;
        if (!reader.Read() || reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var id)) throw new JsonException("expected a [token, id] pair (integer id second)");
        if (!reader.Read() || reader.TokenType != JsonTokenType.EndArray) throw new JsonException("expected a [token, id] pair (two items)");
        return new TokenIdPair(token, id);
    }

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, TokenIdPair value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        writer.WriteStringValue(value.Token);
        writer.WriteNumberValue(value.Id);
        writer.WriteEndArray();
    }
}
