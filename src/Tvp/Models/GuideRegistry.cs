using static TorchSharp.torch;

namespace Tvp.Models;

/// <summary>A kind of image–text guide that can be loaded from a path or name.</summary>
public interface IGuideFamily
{
    /// <summary>Family name.</summary>
    string Name { get; }
    /// <summary>True when <paramref name="path"/> names a guide of this family.</summary>
    bool CanLoad(string path);
    /// <summary>Loads the guide.</summary>
    IImageTextGuide Load(string path, Device device);
}

/// <summary>Finds the TSE guide for <c>--guide</c>: a CLIP checkpoint folder, or another registered guide family.</summary>
public static class GuideRegistry
{
    private static readonly List<IGuideFamily> _families = new();
    private static bool _builtIns;

    /// <summary>Registered guide families.</summary>
    public static IReadOnlyList<IGuideFamily> Families
    {
        get
        {
            lock (_families)
            {
                if (!_builtIns) { _builtIns = true; _families.AddRange(BuiltInFamilies.CreateGuides()); }
                return _families.ToArray();
            }
        }
    }

    /// <summary>Adds a guide family (asked before the built-in ones).</summary>
    public static void Register(IGuideFamily family)
    {
        _ = Families;
        lock (_families) _families.Insert(0, family);
    }

    /// <summary>Loads the guide named by <paramref name="pathOrName"/>.</summary>
    public static IImageTextGuide Load(string pathOrName, Device device)
    {
        var fam = Families.FirstOrDefault(f => f.CanLoad(pathOrName))
            ?? throw new ArgumentException($"--guide {pathOrName}: not a known image–text guide (a CLIP checkpoint folder in HF layout{(Families.Count > 0 ? ", or: " + string.Join(", ", Families.Select(f => f.Name)) : "")})");
        return fam.Load(pathOrName, device);
    }
}
