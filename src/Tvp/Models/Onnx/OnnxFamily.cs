using static TorchSharp.torch;

namespace Tvp.Models.Onnx;

/// <summary>
/// Bring-your-own ONNX image models: a <c>.onnx</c> file with its card beside it (same name, <c>.json</c>), or a
/// card (<c>.json</c> with an "onnx" field). See <see cref="OnnxImageCard"/> for the card's fields.
/// </summary>
internal sealed class OnnxFamily : IModelFamily
{
    public string Name => "onnx";

    public bool CanLoad(string path) =>
        File.Exists(path) && (path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) || OnnxImageCard.IsCard(path));

    public IPromptableModel Load(string path, Device device) => OnnxImagePromptable.Load(path, device);

    public IEnumerable<RegistryEntry> Discover(string folder)
    {
        if (!Directory.Exists(folder)) yield break;
        var cards = Directory.EnumerateFiles(folder, "*.json")
            .Concat(Directory.EnumerateDirectories(folder).SelectMany(d => Directory.EnumerateFiles(d, "*.json")))
            .Where(OnnxImageCard.IsCard)
            .OrderBy(p => p, StringComparer.Ordinal);
        foreach (var path in cards)
        {
            OnnxImageCard card;
            try { card = OnnxImageCard.Load(path); }
            catch (InvalidDataException) { continue; }
            var head = card.LogitsOutput is not null && card.Labels is not null ? ", classifier" : "";
            var size = card.InputSize is { } s ? $"{s}px" : "any size";
            yield return new RegistryEntry(card.DisplayName, Name, path,
                card.Description ?? $"ONNX {Path.GetFileName(card.Onnx)} ({size}, {card.ChannelOrder}{head})");
        }
    }
}
