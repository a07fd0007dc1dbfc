namespace Tvp; /// <summary>Library version.</summary>
public static class TvpVersion { /// <summary>Semantic version of the library.</summary>
public const string Value = "0.1.0"; }
