using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tvp.Training;

/// <summary>How classifiers' labels are mapped to the task's classes (<c>--label-map</c>).</summary>
public enum LabelMapKind
{
    /// <summary>By name when the model's labels are the task's classes, else by index.</summary>
    Identity,
    /// <summary>Frequency label mapping (FLM) from the unprompted model's predictions on training images.</summary>
    Frequency,
    /// <summary>Iterative label mapping (ILM): FLM recomputed on the prompted training images at each epoch start.</summary>
    Iterative,
    /// <summary>An explicit mapping file.</summary>
    File,
}

/// <summary>
/// A <c>--label-map</c> value: identity | frequency | iterative, or the path of a mapping file. Written (JSON,
/// messages) as that same single string.
/// </summary>
/// <param name="Kind">The kind of mapping.</param>
/// <param name="Path">The mapping file (only for <see cref="LabelMapKind.File"/>).</param>
[JsonConverter(typeof(LabelMapChoiceJsonConverter))]
public sealed record LabelMapChoice(LabelMapKind Kind, string? Path = null)
{
    /// <summary>Identity mapping (the default).</summary>
    public static LabelMapChoice Identity { get; } = new(LabelMapKind.Identity);

    /// <summary>True for frequency and iterative (both compute FLM from the training images first).</summary>
    public bool IsFrequency => Kind is LabelMapKind.Frequency or LabelMapKind.Iterative;

    /// <summary>identity | frequency | iterative, anything else is a mapping file path.</summary>
    public static LabelMapChoice Parse(string text) => text switch
    {
        "identity" => Identity,
        "frequency" => new(LabelMapKind.Frequency),
        "iterative" => new(LabelMapKind.Iterative),
        _ => new(LabelMapKind.File, text),
    };

    /// <summary>The <c>--label-map</c> spelling: identity | frequency | iterative | the file path.</summary>
    public override string ToString() => Kind switch
    {
        LabelMapKind.Identity => "identity",
        LabelMapKind.Frequency => "frequency",
        LabelMapKind.Iterative => "iterative",
        _ => Path ?? "",
    };
}

/// <summary>Reads and writes a <see cref="LabelMapChoice"/> as its single string.</summary>
internal sealed class LabelMapChoiceJsonConverter : JsonConverter<LabelMapChoice>
{
    public override LabelMapChoice Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String ? LabelMapChoice.Parse(reader.GetString()!)
            : throw new JsonException("must be identity, frequency, iterative or a mapping file path");

    public override void Write(Utf8JsonWriter writer, LabelMapChoice value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}
