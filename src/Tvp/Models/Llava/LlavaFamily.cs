using Tvp.IO.Json;
using Tvp.Models.Multimodal;
using static TorchSharp.torch;

namespace Tvp.Models.Llava;

/// <summary>LLaVA checkpoints (HF <c>LlavaForConditionalGeneration</c> folders: config.json with model_type llava).</summary>
internal sealed class LlavaFamily : IMultimodalFamily
{
    public string Name => "llava";

    public bool CanLoad(string path) => ModelType(path) == "llava";

    public IPromptableModel Load(string path, Device device) => LlavaPromptable.Load(path, device);

    public IEnumerable<RegistryEntry> Discover(string folder) => CheckpointFolders.Discover(folder, this, "LLaVA", dir =>
    {
        var c = LlavaConfig.Load(dir);
        return $"LLaVA: CLIP ViT {c.Vision.NumHiddenLayers}L/{c.Vision.HiddenSize} @{c.Vision.ImageSize}px + LLaMA {c.Text.NumLayers}L/{c.Text.HiddenSize}";
    });

    /// <summary>model_type of a checkpoint folder's config.json, or null.</summary>
    internal static string? ModelType(string path) => ModelTypeJson.OfFolder(path);
}
