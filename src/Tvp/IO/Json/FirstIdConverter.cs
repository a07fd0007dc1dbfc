using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tvp.IO.Json;

/// <summary>
/// A token-id field that HF allows to be one id or a list (<c>"eos_token_id": [2, 32000]</c>): the first id is
/// read, an empty list reads as absent.
/// </summary>
internal sealed class FirstIdConverter : JsonConverter<int?>
{
    /// <inheritdoc/>
    public override int? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var one = new StrictInt32Converter();
        if (reader.TokenType != JsonTokenType.StartArray) return one.Read(ref reader, typeof(int), options);
        int? first = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var id = one.Read(ref reader, typeof(int), options);
            first ??= id;
        }
        return first;
    }

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, int? value, JsonSerializerOptions options)
    {
        if (value is int v) writer.WriteNumberValue(v); else writer.WriteNullValue();
    }
}
