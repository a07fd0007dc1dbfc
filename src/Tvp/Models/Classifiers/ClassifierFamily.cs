using static TorchSharp.torch;

namespace Tvp.Models.Classifiers;

/// <summary>
/// The classifier family: JSON model cards (CIFAR ResNet, MobileNetV1, MobileNetV2) with a safetensors
/// file beside them. The registry name is the card's file name without <c>.json</c>.
/// </summary>
internal sealed class ClassifierFamily : IModelFamily
{
    /// <summary>The family name used in <see cref="ModelInfo.Family"/> and registry entries.</summary>
    public const string FamilyName = "classifier";

    public string Name => FamilyName;

    /// <summary>A <c>.json</c> card whose architecture this family knows (the weights are checked at load).</summary>
    public bool CanLoad(string path) => File.Exists(path) && ModelCard.TryDetectArchitecture(path) is not null;

    public IPromptableModel Load(string path, Device device) => ClassifierPromptable.Load(path, device);

    public IEnumerable<RegistryEntry> Discover(string folder)
    {
        if (!Directory.Exists(folder)) yield break;
        foreach (var path in Directory.EnumerateFiles(folder, "*.json").OrderBy(p => p, StringComparer.Ordinal))
        {
            var kind = ModelCard.TryDetectArchitecture(path);
            if (kind is null) continue;
            yield return new RegistryEntry(Path.GetFileNameWithoutExtension(path), FamilyName, path, Describe(path, kind));
        }
    }

    /// <summary>"MobileNetV1 α=0.25, 128 px, 1001 labels", or why the card cannot be loaded.</summary>
    private static string Describe(string path, string kind)
    {
        try
        {
            var card = ModelCard.Read(path);
            return $"{card.Architecture.Kind}, {card.InputSize} px, {card.Labels.Count} labels";
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            return $"{kind} (cannot load: {e.Message.Split('\n')[0].Replace(path + ": ", "")})";
        }
    }
}
