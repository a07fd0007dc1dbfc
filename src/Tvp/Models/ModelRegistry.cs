using static TorchSharp.torch;

namespace Tvp.Models;

/// <summary>A model family that knows how to recognise and load its checkpoints.</summary>
public interface IModelFamily
{
    /// <summary>Family name (e.g. classifier, clip, llava, onnx).</summary>
    string Name { get; }

    /// <summary>True when <paramref name="path"/> (file or folder) is a checkpoint of this family.</summary>
    bool CanLoad(string path);

    /// <summary>Loads the model onto <paramref name="device"/>.</summary>
    IPromptableModel Load(string path, Device device);

    /// <summary>Models of this family found in <paramref name="folder"/> (for <c>tvp models</c>).</summary>
    IEnumerable<RegistryEntry> Discover(string folder);
}

/// <summary>One model that can be named by a short name.</summary>
/// <param name="Name">Short registry name.</param>
/// <param name="Family">Family name.</param>
/// <param name="Path">Card, file or folder to load.</param>
/// <param name="Description">One line for <c>tvp models</c>.</param>
public sealed record RegistryEntry(string Name, string Family, string Path, string Description);

/// <summary>
/// Finds models by short name or path. Short names are looked up in the model folders: the
/// <c>TVP_MODELS</c> environment variable (':'-separated), <c>./models</c>, <c>../shared/models</c>, and
/// the user cache (<c>~/.cache/tvp/models</c>).
/// </summary>
public static class ModelRegistry
{
    private static readonly List<IModelFamily> _families = new();

    /// <summary>The registered families, in the order they are asked.</summary>
    public static IReadOnlyList<IModelFamily> Families
    {
        get { EnsureBuiltIns(); return _families; }
    }

    /// <summary>Adds a family (user extensions; asked before the built-in ones).</summary>
    public static void Register(IModelFamily family)
    {
        EnsureBuiltIns();
        lock (_families) _families.Insert(0, family);
    }

    private static bool _builtIns;
    private static void EnsureBuiltIns()
    {
        lock (_families)
        {
            if (_builtIns) return;
            _builtIns = true;
            _families.AddRange(BuiltInFamilies.Create());
        }
    }

    /// <summary>Folders searched for short names.</summary>
    public static IReadOnlyList<string> SearchFolders()
    {
        var list = new List<string>();
        var env = Environment.GetEnvironmentVariable("TVP_MODELS");
        if (!string.IsNullOrEmpty(env)) list.AddRange(env.Split(':', StringSplitOptions.RemoveEmptyEntries));
        list.Add(Path.GetFullPath("models"));
        list.Add(Path.GetFullPath(Path.Combine("..", "shared", "models")));
        list.Add(Path.Combine(CacheFolder(), "models"));
        return list.Distinct().ToList();
    }

    /// <summary>The user cache folder (<c>$TVP_CACHE</c>, else <c>$XDG_CACHE_HOME/tvp</c>, else <c>~/.cache/tvp</c>).</summary>
    public static string CacheFolder()
    {
        var env = Environment.GetEnvironmentVariable("TVP_CACHE");
        if (!string.IsNullOrEmpty(env)) return env;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "tvp");
    }

    /// <summary>Every model found in the search folders.</summary>
    public static IReadOnlyList<RegistryEntry> List()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<RegistryEntry>();
        var cacheModels = Path.Combine(CacheFolder(), "models");
        // The cache's models folder is always asked: families may keep models elsewhere in the cache (the demo zoo).
        foreach (var folder in SearchFolders().Where(f => Directory.Exists(f) || f == cacheModels))
            foreach (var fam in Families)
            {
                IEnumerable<RegistryEntry> found;
                try { found = fam.Discover(folder).ToArray(); }
                catch (DirectoryNotFoundException) { continue; }
                foreach (var e in found)
                    if (seen.Add(e.Name)) result.Add(e);
            }
        return result;
    }

    /// <summary>Resolves a short name or a path to a loadable path and its family.</summary>
    /// <exception cref="ArgumentException">Unknown name or unrecognised checkpoint (the message lists known names).</exception>
    public static (string Path, IModelFamily Family) Resolve(string nameOrPath)
    {
        if (File.Exists(nameOrPath) || Directory.Exists(nameOrPath))
        {
            var fam = Families.FirstOrDefault(f => f.CanLoad(nameOrPath))
                ?? throw new ArgumentException($"{nameOrPath}: not a checkpoint of any known family ({string.Join(", ", Families.Select(f => f.Name))})");
            return (nameOrPath, fam);
        }
        var entry = List().FirstOrDefault(e => string.Equals(e.Name, nameOrPath, StringComparison.OrdinalIgnoreCase));
        if (entry is null)
        {
            var known = List().Select(e => e.Name).ToArray();
            throw new ArgumentException($"unknown model '{nameOrPath}': not a file or folder, and not a registry name" +
                (known.Length > 0 ? $" (known: {string.Join(", ", known)})" : " (no models found; run `tvp models`)"));
        }
        return (entry.Path, Families.First(f => f.Name == entry.Family));
    }

    /// <summary>Loads a model by short name or path.</summary>
    public static IPromptableModel Load(string nameOrPath, Device device)
    {
        var (path, fam) = Resolve(nameOrPath);
        return fam.Load(path, device);
    }
}

/// <summary>A family whose models are multimodal LLMs (<see cref="Multimodal.MultimodalPromptable"/>: chat, scoring and generation from text).</summary>
public interface IMultimodalFamily : IModelFamily
{
}
