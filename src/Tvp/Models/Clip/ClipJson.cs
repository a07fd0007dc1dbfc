using System.Text.Json;

namespace Tvp.Models.Clip;

/// <summary>Reads optional fields of an HF config object, falling back to the default when absent or null.</summary>
internal static class ClipJson
{
    /// <summary>An integer field; a non-integer number (1e6, 2.5, 2^40) is an error naming the field, never a silent default.</summary>
    public static int Int(JsonElement e, string name, int fallback)
    {
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
        if (v.ValueKind != JsonValueKind.Number) throw new InvalidDataException($"'{name}' should be an integer, got {Shorten(v.GetRawText())}");
        return v.TryGetInt32(out var i) ? i : throw new InvalidDataException($"'{name}' should be a 32-bit integer, got {Shorten(v.GetRawText())}");
    }

    /// <summary>A number field (absent or null: the fallback).</summary>
    public static double Double(JsonElement e, string name, double fallback)
    {
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
        return v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw new InvalidDataException($"'{name}' should be a number, got {Shorten(v.GetRawText())}");
    }

    /// <summary>Runs a config parse, prefixing its errors with the file they come from.</summary>
    public static T InFile<T>(string path, Func<T> parse)
    {
        try { return parse(); }
        catch (InvalidDataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    private static string Shorten(string raw) => raw.Length > 40 ? raw[..40] + "…" : raw;

    public static string String(JsonElement e, string name, string fallback) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : fallback;

    public static JsonElement? Object(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v : null;
}
