using static TorchSharp.torch;

namespace Tvp.Models.Clip;

/// <summary>Public entry points for CLIP checkpoint folders (HF layout: config.json, safetensors, tokenizer files).</summary>
internal static class ClipCheckpoints
{
    /// <summary>True when <paramref name="folder"/> holds a CLIPModel checkpoint (<c>model_type: clip</c>).</summary>
    public static bool IsClipFolder(string folder) => Directory.Exists(folder) && ClipLoader.ModelType(folder) == "clip";

    /// <summary>Loads a CLIP checkpoint as the TSE guide (text embeddings cached per text, logit scale clamped to 100).</summary>
    public static IImageTextGuide LoadGuide(string folder, Device device) => ClipGuide.Load(folder, device);

    /// <summary>Loads a CLIP checkpoint as a zero-shot promptable model; <paramref name="templates"/> ("... {} ...") are averaged when given.</summary>
    public static IPromptableModel LoadZeroShot(string folder, Device device, IReadOnlyList<string>? templates = null) =>
        ClipZeroShotPromptable.Load(folder, device, templates);
}
