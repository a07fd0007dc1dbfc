using static TorchSharp.torch;

namespace Tvp.Models.Clip;

/// <summary>The CLIP family: HF checkpoint folders whose config.json has <c>model_type: clip</c>, used as zero-shot classifiers.</summary>
internal sealed class ClipFamily : IModelFamily
{
    /// <inheritdoc />
    public string Name => "clip";

    /// <inheritdoc />
    public bool CanLoad(string path) => Directory.Exists(path) && ClipLoader.ModelType(path) == "clip";

    /// <inheritdoc />
    public IPromptableModel Load(string path, Device device) => ClipZeroShotPromptable.Load(path, device);

    /// <inheritdoc />
    public IEnumerable<RegistryEntry> Discover(string folder)
    {
        if (!Directory.Exists(folder)) yield break;
        foreach (var dir in Directory.GetDirectories(folder).OrderBy(d => d, StringComparer.Ordinal))
        {
            if (!CanLoad(dir)) continue;
            string description;
            try
            {
                var c = ClipLoader.ReadConfig(dir);
                description = $"CLIP ViT {c.Vision.NumHiddenLayers}x{c.Vision.HiddenSize}/{c.Vision.PatchSize} at {c.Vision.ImageSize} px, zero-shot";
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                description = $"CLIP (unreadable config: {e.Message})";
            }
            yield return new RegistryEntry(Path.GetFileName(dir), Name, dir, description);
        }
    }
}
