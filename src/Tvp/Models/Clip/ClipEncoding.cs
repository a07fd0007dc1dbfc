using Tvp.Data;
using Tvp.IO.Tokenizers;
using static TorchSharp.torch;

namespace Tvp.Models.Clip;

/// <summary>Encodes images and texts with a CLIP checkpoint, producing HF's output names.</summary>
public static class ClipEncoding
{
    /// <summary>
    /// Returns <c>image_embeds</c> [B,D] (when pixels or image files are given), <c>text_embeds</c> [N,D] (when
    /// texts are given) and <c>logits_per_image</c> [B,N] (when both are), on the CPU.
    /// </summary>
    /// <param name="folder">CLIP checkpoint folder.</param>
    /// <param name="pixelValues">Already-normalised pixel values [B,3,S,S], or null.</param>
    /// <param name="imageFiles">Image files to preprocess the CLIP way (ignored when <paramref name="pixelValues"/> is given).</param>
    /// <param name="texts">Texts to encode, or null.</param>
    /// <param name="device">Where to compute.</param>
    public static Dictionary<string, Tensor> Encode(string folder, Tensor? pixelValues, IReadOnlyList<string>? imageFiles, IReadOnlyList<string>? texts, Device device)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var clip = ClipLoader.Load(folder, device);
        var info = ClipImageProcessor.Info(Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder))), folder, clip.Config.Vision);
        var outputs = new Dictionary<string, Tensor>();
        if (pixelValues is null && imageFiles is { Count: > 0 })
            pixelValues = stack(imageFiles.Select(p => ClipImageProcessor.Preprocess(ImageDecoder.Load(p), info)).ToArray()); // [B, 3, S, S]
        Tensor? imageEmbeds = null, textEmbeds = null;
        if (pixelValues is not null)
            outputs["image_embeds"] = imageEmbeds = ClipModel.Normalize(clip.ImageFeatures(pixelValues.to_type(ScalarType.Float32).to(device)));
        if (texts is not null)
        {
            var tokenizer = ClipTokenizer.FromFolder(folder);
            var ids = tensor(tokenizer.EncodeBatch(texts), device: device); // [N, L]
            outputs["text_embeds"] = textEmbeds = ClipModel.Normalize(clip.TextFeatures(ids));
        }
        if (imageEmbeds is not null && textEmbeds is not null)
            outputs["logits_per_image"] = imageEmbeds.matmul(textEmbeds.t()) * clip.LogitScale; // [B, N]
        return outputs.ToDictionary(kv => kv.Key, kv => kv.Value.cpu().MoveToOuterDisposeScope());
    }
}
