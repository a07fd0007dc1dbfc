using System.Globalization;
using System.Security.Cryptography;

namespace Tvp.IO;

/// <summary>
/// SHA-256 of large files, cached by full path, size and modification time in <c>&lt;cache&gt;/sha256.tsv</c>, so a
/// weights file's hash is paid once (until the file changes). A corrupt or unwritable cache only costs a rehash.
/// </summary>
internal static class FileHashCache
{
    private static readonly object Gate = new();

    /// <summary>The lowercase hex SHA-256 of <paramref name="path"/>.</summary>
    public static string Sha256(string path, string cacheFolder)
    {
        var info = new FileInfo(path);
        var key = string.Join('\t', Path.GetFullPath(path), info.Length.ToString(CultureInfo.InvariantCulture),
            info.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture));
        var cacheFile = Path.Combine(cacheFolder, "sha256.tsv");
        lock (Gate)
        {
            if (Lookup(cacheFile, key) is { } cached) return cached;
        }
        string hash;
        using (var s = InputFile.OpenRead(path)) hash = Convert.ToHexStringLower(SHA256.HashData(s));
        lock (Gate)
        {
            try
            {
                Directory.CreateDirectory(cacheFolder);
                File.AppendAllText(cacheFile, key + "\t" + hash + "\n");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* no cache: hash again next time */ }
        }
        return hash;
    }

    private static string? Lookup(string cacheFile, string key)
    {
        try
        {
            if (!File.Exists(cacheFile)) return null;
            string? found = null;
            foreach (var line in File.ReadLines(cacheFile))
                if (line.Length == key.Length + 65 && line.StartsWith(key + "\t", StringComparison.Ordinal)) found = line[(key.Length + 1)..];
            return found;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
