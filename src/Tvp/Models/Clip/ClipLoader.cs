using System.Text.Json;
using TorchSharp;
using Tvp.IO;
using static TorchSharp.torch;

namespace Tvp.Models.Clip;

/// <summary>
/// Loads HF-layout CLIP checkpoint folders: <c>config.json</c> plus <c>model.safetensors</c> or a sharded
/// <c>model.safetensors.index.json</c> (pickled <c>pytorch_model.bin</c> is refused by <see cref="Checkpoint"/>).
/// </summary>
internal static class ClipLoader
{
    /// <summary>The <c>model_type</c> of a folder's config.json, or null when there is none.</summary>
    public static string? ModelType(string folder)
    {
        var path = Path.Combine(folder, "config.json");
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return ClipJson.String(doc.RootElement, "model_type", "") is { Length: > 0 } t ? t : null;
        }
        catch (JsonException) { return null; }
    }

    private static JsonDocument ReadConfigJson(string folder)
    {
        var path = Path.Combine(folder, "config.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"{folder}: no config.json (not an HF checkpoint folder)", path);
        try { return JsonDocument.Parse(IO.InputFile.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: invalid JSON ({e.Message})", e); }
    }

    /// <summary>Reads a <c>model_type: clip</c> config.json.</summary>
    public static ClipConfig ReadConfig(string folder)
    {
        using var doc = ReadConfigJson(folder);
        var type = ClipJson.String(doc.RootElement, "model_type", "");
        if (type != "clip")
            throw new InvalidDataException($"{Path.Combine(folder, "config.json")}: model_type is '{type}', expected 'clip'" +
                (type == "clip_vision_model" ? " (a vision tower alone: load it with the vision loader)" : ""));
        return ClipJson.InFile(Path.Combine(folder, "config.json"), () => ClipConfig.FromJson(doc.RootElement));
    }

    /// <summary>Loads a full CLIPModel (both towers, projections, logit_scale) in eval mode.</summary>
    public static ClipModel Load(string folder, Device? device = null)
    {
        var config = ReadConfig(folder);
        var checkpoint = Checkpoint.Open(folder);
        var model = EmptyModules.CreateFor(checkpoint, () => new ClipModel(config));
        try
        {
            StateDictLoader.Load(model, checkpoint);
            model.eval();
            if (device is not null) model.to(device);
            return model;
        }
        catch { model.Dispose(); throw; }
    }

    /// <summary>
    /// Loads only the vision tower (<c>vision_model.*</c>) from a CLIPModel or a CLIPVisionModel folder
    /// (<c>model_type</c> clip or clip_vision_model).
    /// </summary>
    public static ClipVisionTransformer LoadVision(string folder, Device? device = null)
    {
        ClipVisionConfig config;
        using (var doc = ReadConfigJson(folder))
        {
            var type = ClipJson.String(doc.RootElement, "model_type", "");
            var root = doc.RootElement;
            config = ClipJson.InFile(Path.Combine(folder, "config.json"), () => type switch
            {
                "clip" => ClipJson.Object(root, "vision_config") is { } v ? ClipVisionConfig.FromJson(v) : new ClipVisionConfig(),
                "clip_vision_model" => ClipVisionConfig.FromJson(root),
                _ => throw new InvalidDataException($"{Path.Combine(folder, "config.json")}: model_type is '{type}', expected 'clip' or 'clip_vision_model'"),
            });
        }
        var checkpoint = Checkpoint.Open(folder);
        var tower = EmptyModules.CreateFor(checkpoint, () => new ClipVisionTransformer(config));
        try
        {
            StateDictLoader.Load(tower, checkpoint, keyOf: n => new[] { "vision_model." + n },
                unusedAllowed: k => !k.StartsWith("vision_model.", StringComparison.Ordinal));
            tower.eval();
            if (device is not null) tower.to(device);
            return tower;
        }
        catch { tower.Dispose(); throw; }
    }
}
