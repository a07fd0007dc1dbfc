using System.Text.Json;
using System.Text.Json.Serialization;
using Tvp.IO.Json;

namespace Tvp.Experiments.Report;

/// <summary>
/// Reads one options.json value as the report shows it: a scalar as its text (null as ""), an array as its items'
/// texts joined by ", ", an object as its JSON text. The report lists option values of any run (older runs included)
/// without knowing their types, so every value is display text here.
/// </summary>
internal sealed class OptionValueConverter : JsonConverter<string>
{
    private static readonly DisplayTextConverter Scalar = new();

    /// <inheritdoc/>
    public override bool HandleNull => true;

    /// <inheritdoc/>
    public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartArray:
                var items = new List<string>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray) items.Add(Read(ref reader, typeToConvert, options));
                return string.Join(", ", items);
            case JsonTokenType.StartObject:
                using (var doc = JsonDocument.ParseValue(ref reader)) return doc.RootElement.GetRawText();
            default:
                return Scalar.Read(ref reader, typeToConvert, options);
        }
    }

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}
