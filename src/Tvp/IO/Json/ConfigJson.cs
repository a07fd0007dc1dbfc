using System.Text.Json;

namespace Tvp.IO.Json;

/// <summary>
/// Typed reads of JSON config files (HF config.json and friends) into System.Text.Json records. Keys are matched
/// snake_case (<c>HiddenSize</c> ↔ <c>hidden_size</c>) unless a record names them; keys a record does not have are
/// ignored (HF configs carry many); a null value reads as absent, so the record's default applies (HF semantics).
/// Numbers are strict (<see cref="StrictInt32Converter"/>, <see cref="StrictDoubleConverter"/>). Every error is one
/// line naming the file and the field.
/// </summary>
internal static class ConfigJson
{
    /// <summary>The serializer options every config record is read with.</summary>
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new StrictInt32Converter(), new StrictDoubleConverter() },
    };

    /// <summary>Parses a config file (regular file, bounded size); malformed JSON names the file (and <paramref name="what"/> the file is, if given).</summary>
    /// <exception cref="InvalidDataException">The file is not valid JSON.</exception>
    public static JsonDocument ParseFile(string path, string? what = null)
    {
        try { return JsonDocument.Parse(InputFile.ReadAllText(path)); }
        catch (JsonException e)
        {
            throw new InvalidDataException(what is null ? $"{path}: invalid JSON ({e.Message})" : $"{path}: malformed JSON in {what} ({e.Message})", e);
        }
    }

    /// <summary>Reads <paramref name="path"/> as a <typeparamref name="T"/> record (<paramref name="what"/>: what the file is, for the malformed-JSON error).</summary>
    public static T ReadFile<T>(string path, string? what = null) where T : class
    {
        using var doc = ParseFile(path, what);
        return Bind<T>(doc.RootElement, path);
    }

    /// <summary>
    /// Binds a JSON object to a <typeparamref name="T"/> record; <paramref name="source"/> (the file, and the section
    /// when the object is part of one) starts every error message.
    /// </summary>
    /// <exception cref="InvalidDataException">Not an object, or a field of the wrong type (the message names it).</exception>
    public static T Bind<T>(JsonElement element, string source) where T : class => Bind<T>(element, source, Options);

    /// <summary>As <see cref="Bind{T}(JsonElement, string)"/>, with other serializer options (built on <see cref="Options"/>).</summary>
    public static T Bind<T>(JsonElement element, string source, JsonSerializerOptions options) where T : class
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{source}: expected a JSON object, got {element.ValueKind.ToString().ToLowerInvariant()}");
        try { return element.Deserialize<T>(options) ?? throw new InvalidDataException($"{source}: expected a JSON object"); }
        catch (JsonException e) { throw FieldError(e, source); }
    }

    /// <summary>Binds a JSON array to <typeparamref name="T"/> items; errors as <see cref="Bind{T}(JsonElement, string)"/>.</summary>
    public static T[] BindArray<T>(JsonElement element, string source)
    {
        if (element.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{source}: expected a JSON array, got {element.ValueKind.ToString().ToLowerInvariant()}");
        try { return element.Deserialize<T[]>(Options) ?? []; }
        catch (JsonException e) { throw FieldError(e, source); }
    }

    /// <summary>Runs a config check, prefixing its errors with the file they come from (unless they name it already).</summary>
    public static T InFile<T>(string path, Func<T> check)
    {
        try { return check(); }
        catch (InvalidDataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>The one-line error for a failed bind: <c>SOURCE[ SECTION]: 'FIELD' should be …</c>.</summary>
    private static InvalidDataException FieldError(JsonException e, string source)
    {
        // e.Path: "$.vision_config.hidden_size", "$.stage_channels[0]" or "$['odd key']".
        var path = (e.Path ?? "$").TrimStart('$').TrimStart('.');
        if (path.Length == 0) return new InvalidDataException($"{source}: invalid JSON ({FirstSentence(e.Message)})", e);
        int dot = path.LastIndexOf('.');
        string section = dot < 0 ? "" : " " + path[..dot], field = dot < 0 ? path : path[(dot + 1)..];
        var what = e is JsonFieldException ? e.Message : $"has the wrong type ({FirstSentence(e.Message)})";
        return new InvalidDataException($"{source}{section}: '{field}' {what}", e);
    }

    private static string FirstSentence(string message)
    {
        int end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message : message[..end];
    }
}
