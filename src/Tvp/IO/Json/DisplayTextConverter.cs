using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tvp.IO.Json;

/// <summary>
/// Reads any JSON scalar as its display text (a string as itself, a number or boolean as written; a null member stays null) — for
/// report cells and labels that writers fill with strings or numbers alike. Arrays and objects are an error that
/// names the field.
/// </summary>
internal sealed class DisplayTextConverter : JsonConverter<string>
{
    /// <summary><see cref="ConfigJson.Options"/> with every string read by this converter.</summary>
    public static readonly JsonSerializerOptions Options = new(ConfigJson.Options) { Converters = { new DisplayTextConverter() } };

    /// <inheritdoc/>
    public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String: return reader.GetString() ?? "";
            case JsonTokenType.Null: return "";
            case JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False: return JsonFieldException.Raw(ref reader);
            default:
                var raw = JsonFieldException.Raw(ref reader);
                reader.Skip();
                throw new JsonFieldException($"should be a string or number, got {raw}");
        }
    }

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}
