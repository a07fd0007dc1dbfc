using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tvp.IO.Json;

/// <summary>
/// Reads a 32-bit integer field: only a JSON integer in range; 2.5, 1e6-as-written, 2^40 or "8" are errors that name
/// the field (System.Text.Json's own message says only that the type did not convert).
/// </summary>
internal sealed class StrictInt32Converter : JsonConverter<int>
{
    /// <inheritdoc/>
    public override int Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            var raw = JsonFieldException.Raw(ref reader);
            reader.Skip();
            throw new JsonFieldException($"should be an integer, got {raw}");
        }
        return reader.TryGetInt32(out var v) ? v : throw new JsonFieldException($"should be a 32-bit integer, got {JsonFieldException.Raw(ref reader)}");
    }

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, int value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
}
