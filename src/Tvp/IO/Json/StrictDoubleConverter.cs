using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tvp.IO.Json;

/// <summary>Reads a number field: only a JSON number; a string or other value is an error that names the field.</summary>
internal sealed class StrictDoubleConverter : JsonConverter<double>
{
    /// <inheritdoc/>
    public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number) return reader.GetDouble();
        var raw = JsonFieldException.Raw(ref reader);
        reader.Skip();
        throw new JsonFieldException($"should be a number, got {raw}");
    }

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
}
