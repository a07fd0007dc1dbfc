using TorchSharp;
using Tvp.IO;
using Tvp.IO.Json;
using static TorchSharp.torch;

namespace Tvp.Models.Clip;

/// <summary>
/// Loads HF-layout CLIP checkpoint folders: <c>config.json</c> plus <c>model.safetensors</c> or a sharded
/// <c>model.safetensors.index.json</c> (pickled <c>pytorch_model.bin</c> is refused by <see cref="Checkpoint"/>).
/// </summary>
internal static class ClipLoader
{
    /// <summary>The <c>model_type</c> of a folder's config.json, or null when there is none (or it is unreadable).</summary>
    public static string? ModelType(string folder) => ModelTypeJson.OfFolder(folder);

    private static ClipConfigJson ReadConfigJson(string folder)
    {
        var path = Path.Combine(folder, "config.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"{folder}: no config.json (not an HF checkpoint folder)", path);
        return ConfigJson.ReadFile<ClipConfigJson>(path);
    }

    /// <summary>Reads a <c>model_type: clip</c> config.json.</summary>
    public static ClipConfig ReadConfig(string folder)
    {
        var j = ReadConfigJson(folder);
        var path = Path.Combine(folder, "config.json");
        if (j.ModelType != "clip")
            throw new InvalidDataException($"{path}: model_type is '{j.ModelType}', expected 'clip'" +
                (j.ModelType == "clip_vision_model" ? " (a vision tower alone: load it with the vision loader)" : ""));
        return ConfigJson.InFile(path, () => ClipConfig.From(j));
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
        var path = Path.Combine(folder, "config.json");
        var j = ReadConfigJson(folder);
        var config = ConfigJson.InFile(path, () => j.ModelType switch
        {
            "clip" => ClipVisionConfig.From(j.VisionConfig),
            // A clip_vision_model config.json holds the vision keys at its root.
            "clip_vision_model" => ClipVisionConfig.From(ConfigJson.ReadFile<ClipVisionConfigJson>(path)),
            _ => throw new InvalidDataException($"{path}: model_type is '{j.ModelType}', expected 'clip' or 'clip_vision_model'"),
        });
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
