using Tvp.Models.Llava;
using Tvp.Models.Multimodal;
using static TorchSharp.torch;

namespace Tvp.Models.Blip2;

/// <summary>BLIP-2 and InstructBLIP checkpoints (HF folders: config.json with model_type blip-2 or instructblip).</summary>
internal sealed class Blip2Family : IMultimodalFamily
{
    public string Name => "blip-2";

    public bool CanLoad(string path) => Blip2Config.KindOf(LlavaFamily.ModelType(path)) is not null;

    public IPromptableModel Load(string path, Device device) => Blip2Promptable.Load(path, device);

    public IEnumerable<RegistryEntry> Discover(string folder) => CheckpointFolders.Discover(folder, this, "BLIP-2", dir =>
    {
        var c = Blip2Config.Load(dir);
        return $"{(c.Kind == Blip2Kind.Blip2 ? "BLIP-2" : "InstructBLIP")}: ViT {c.Vision.NumLayers}L/{c.Vision.HiddenSize} @{c.Vision.ImageSize}px + Q-Former {c.QFormer.NumLayers}L ({c.NumQueryTokens} queries) + {c.Text.ModelType}";
    });
}
