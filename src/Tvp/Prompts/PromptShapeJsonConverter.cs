using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tvp.Prompts;

/// <summary>Reads and writes a <see cref="PromptShape"/> in its CLI spelling (<see cref="PromptShapes"/>, aliases accepted on reading).</summary>
public sealed class PromptShapeJsonConverter : JsonConverter<PromptShape>
{
    /// <inheritdoc />
    public override PromptShape Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String) throw new JsonException("must be padding, fixed-patch, random-patch or full");
        try { return PromptShapes.Parse(reader.GetString()!); }
        catch (ArgumentException e) { throw new JsonException(e.Message); }
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, PromptShape value, JsonSerializerOptions options) => writer.WriteStringValue(value.Name());
}
