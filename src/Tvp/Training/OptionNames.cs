using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tvp.Training;

/// <summary>
/// The one spelling of every option enum (its members' <see cref="JsonStringEnumMemberNameAttribute"/>): the CLI
/// flags, <c>options.json</c>, study specs and messages all use it.
/// </summary>
public static class OptionNames
{
    /// <summary>The spelling of <paramref name="value"/> (its JSON name).</summary>
    public static string Name<T>(T value) where T : struct, Enum =>
        typeof(T).GetField(value.ToString())?.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? value.ToString().ToLowerInvariant();

    /// <summary>Every spelling of <typeparamref name="T"/>, in declaration order.</summary>
    public static IReadOnlyList<string> Names<T>() where T : struct, Enum => Enum.GetValues<T>().Select(Name).ToArray();

    /// <summary>Parses a spelling (case-insensitive).</summary>
    public static bool TryParse<T>(string? text, out T value) where T : struct, Enum
    {
        foreach (var v in Enum.GetValues<T>())
            if (string.Equals(Name(v), text?.Trim(), StringComparison.OrdinalIgnoreCase)) { value = v; return true; }
        value = default;
        return false;
    }

    /// <summary>Parses a spelling; throws ArgumentException naming <paramref name="flag"/> and the choices.</summary>
    public static T Parse<T>(string? text, string flag) where T : struct, Enum =>
        TryParse<T>(text, out var v) ? v : throw new ArgumentException($"{flag} must be {Choices<T>()}, got '{text}'");

    /// <summary>"a, b or c".</summary>
    public static string Choices<T>() where T : struct, Enum
    {
        var names = Names<T>();
        return names.Count == 1 ? names[0] : string.Join(", ", names.Take(names.Count - 1)) + " or " + names[^1];
    }
}

/// <summary>Reads and writes an option enum by its <see cref="OptionNames"/> spelling; an unknown value is a one-line error listing the choices.</summary>
public sealed class OptionEnumConverter<T> : JsonConverter<T> where T : struct, Enum
{
    /// <inheritdoc />
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        return OptionNames.TryParse<T>(text, out var v) ? v
            : throw new JsonException($"must be {OptionNames.Choices<T>()}, got {(text is null ? reader.TokenType.ToString().ToLowerInvariant() : $"'{text}'")}");
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(OptionNames.Name(value));
}
