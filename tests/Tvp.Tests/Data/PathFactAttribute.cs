namespace Tvp.Tests.Data;

/// <summary>
/// A fact that needs a file or folder outside the repository (e.g. one installed by a Debian package); it skips
/// with a visible reason when the path is absent — unless TVP_REQUIRE_SHARED=1 (CI), where the test runs and a
/// missing path fails it.
/// </summary>
public sealed class PathFactAttribute : FactAttribute
{
    public PathFactAttribute(string path, string howToGet)
    {
        if (!File.Exists(path) && !Directory.Exists(path) && !SharedData.Required) Skip = $"{path} not found ({howToGet})";
    }
}
