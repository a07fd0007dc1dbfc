using System.Text.Json;

namespace Tvp.Models.Multimodal;

/// <summary>Discovery of checkpoint folders for <c>tvp models</c>: every sub-folder a family can load, with a one-line description.</summary>
internal static class CheckpointFolders
{
    /// <summary>
    /// The sub-folders of <paramref name="folder"/> that <paramref name="family"/> can load; <paramref name="describe"/>
    /// gives a folder's line (a config that cannot be read gives "<paramref name="label"/> (config not readable: …)").
    /// </summary>
    public static IEnumerable<RegistryEntry> Discover(string folder, IModelFamily family, string label, Func<string, string> describe)
    {
        if (!Directory.Exists(folder)) yield break;
        foreach (var dir in Directory.GetDirectories(folder).OrderBy(d => d, StringComparer.Ordinal))
        {
            if (!family.CanLoad(dir)) continue;
            string desc;
            try { desc = describe(dir); }
            catch (Exception e) when (e is InvalidDataException or NotSupportedException or JsonException) { desc = $"{label} (config not readable: {e.Message})"; }
            yield return new RegistryEntry(Path.GetFileName(dir), family.Name, dir, desc);
        }
    }
}
