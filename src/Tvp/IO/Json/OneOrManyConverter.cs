using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tvp.IO.Json;

/// <summary>A field that writers store as one object or as an array of them (<c>"matrix": {…}</c> or <c>[{…}, …]</c>); both read as a list.</summary>
/// <typeparam name="T">The item record.</typeparam>
internal sealed class OneOrManyConverter<T> : JsonConverter<IReadOnlyList<T>>
{
    /// <inheritdoc/>
    public override IReadOnlyList<T> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.StartArray) return JsonSerializer.Deserialize<T[]>(ref reader, options) ?? [];
        var one = JsonSerializer.Deserialize<T>(ref reader, options);
        return one is null ? [] : [one];
    }

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, IReadOnlyList<T> value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, value.ToArray(), options);
}
