namespace Tvp.Tests.Data;

/// <summary>
/// A fact that needs a file or folder outside the repository (e.g. one installed by a Debian package); it skips
/// with a visible reason when the path is absent.
/// </summary>
public sealed class PathFactAttribute : FactAttribute
{
    public PathFactAttribute(string path, string howToGet)
    {
        if (!File.Exists(path) && !Directory.Exists(path)) Skip = $"{path} not found ({howToGet})";
    }
}
