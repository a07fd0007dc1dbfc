using Tvp.Models.Llava;
using Tvp.Models.Multimodal;
using static TorchSharp.torch;

namespace Tvp.Models.MiniGpt4;

/// <summary>MiniGPT-4 folders in the <see cref="MiniGpt4Layout"/> (config.json with model_type minigpt4).</summary>
internal sealed class MiniGpt4Family : IMultimodalFamily
{
    public string Name => "minigpt4";

    public bool CanLoad(string path) => LlavaFamily.ModelType(path) == MiniGpt4Layout.ModelType;

    public IPromptableModel Load(string path, Device device) => MiniGpt4Promptable.Load(path, device);

    public IEnumerable<RegistryEntry> Discover(string folder) =>
        CheckpointFolders.Discover(folder, this, "MiniGPT-4", _ => "MiniGPT-4 layout: BLIP-2 vision + Q-Former, llama_proj, LLaMA");
}
