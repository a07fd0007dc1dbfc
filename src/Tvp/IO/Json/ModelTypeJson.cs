namespace Tvp.IO.Json;

/// <summary>Just the <c>model_type</c> key of an HF config (to choose the record that reads the rest).</summary>
/// <param name="ModelType">model_type.</param>
internal sealed record ModelTypeJson(string? ModelType)
{
    /// <summary>The <c>model_type</c> of a folder's config.json, or null when there is none (no folder, no file, not JSON, not a string, empty).</summary>
    public static string? OfFolder(string folder)
    {
        var path = Path.Combine(folder, "config.json");
        if (!Directory.Exists(folder) || !File.Exists(path)) return null;
        try { return ConfigJson.ReadFile<ModelTypeJson>(path).ModelType is { Length: > 0 } t ? t : null; }
        catch (InvalidDataException) { return null; }
    }
}
