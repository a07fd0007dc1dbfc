namespace Tvp.Tests;

/// <summary>
/// Locates ../shared (beside the repository root). Tests that need it use [SharedFact]/[SharedTheory]:
/// they skip with a visible reason when it is missing, unless TVP_REQUIRE_SHARED=1 (CI), where a
/// missing ../shared is a failure.
/// </summary>
public static class SharedData
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Root => System.IO.Path.GetFullPath(System.IO.Path.Combine(RepoRoot, "..", "shared"));

    public static bool Available => Directory.Exists(System.IO.Path.Combine(Root, "models")) && Directory.Exists(System.IO.Path.Combine(Root, "data"));

    public static bool Required => Environment.GetEnvironmentVariable("TVP_REQUIRE_SHARED") == "1";

    /// <summary>A path under ../shared; fails the test with a clear message when it is missing.</summary>
    public static string Path(params string[] parts)
    {
        var p = System.IO.Path.Combine(new[] { Root }.Concat(parts).ToArray());
        if (!File.Exists(p) && !Directory.Exists(p))
            throw new Xunit.Sdk.XunitException($"shared material missing: {p} (TVP_REQUIRE_SHARED={Environment.GetEnvironmentVariable("TVP_REQUIRE_SHARED")})");
        return p;
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "Tvp.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (Tvp.slnx) above " + AppContext.BaseDirectory);
    }

    internal static string? SkipReason =>
        Available || Required ? null : $"../shared not found at {Root} (set TVP_REQUIRE_SHARED=1 to make this a failure)";
}

/// <summary>A fact that needs ../shared.</summary>
public sealed class SharedFactAttribute : FactAttribute
{
    public SharedFactAttribute() { if (SharedData.SkipReason is { } r) Skip = r; }
}

/// <summary>A theory that needs ../shared.</summary>
public sealed class SharedTheoryAttribute : TheoryAttribute
{
    public SharedTheoryAttribute() { if (SharedData.SkipReason is { } r) Skip = r; }
}
