using System.Runtime.InteropServices;

namespace Tvp.IO;

/// <summary>
/// Opens input files safely: only regular files (a FIFO would block forever, a device such as <c>/dev/zero</c>
/// never ends), text files bounded by <see cref="Limits.MaxTextFileBytes"/>. Every reader of user-supplied files
/// goes through here.
/// </summary>
public static class InputFile
{
    /// <summary>Throws when <paramref name="path"/> is missing or not a regular file (after following links).</summary>
    public static void RequireRegular(string path)
    {
        if (Directory.Exists(path)) throw new IOException($"{path}: is a folder, expected a file");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        var kind = FileKind(path);
        if (kind is not null and not "regular file")
            throw new IOException($"{path}: is a {kind}, not a regular file; tvp reads only regular files");
    }

    /// <summary>Opens a regular file for reading.</summary>
    public static FileStream OpenRead(string path)
    {
        RequireRegular(path);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
    }

    /// <summary>Reads a whole text file, refusing special files and files over <see cref="Limits.MaxTextFileBytes"/>.</summary>
    public static string ReadAllText(string path)
    {
        using var s = OpenRead(path);
        long max = Limits.Current.MaxTextFileBytes;
        if (s.Length > max) throw new InvalidDataException($"{path}: {s.Length} bytes, above the {max}-byte limit for text files");
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }

    /// <summary>The lines of a text file (see <see cref="ReadAllText"/>); no trailing empty line.</summary>
    public static string[] ReadAllLines(string path)
    {
        var lines = ReadAllText(path).Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        if (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        return lines.ToArray();
    }

    // The file type needs stat(2): .NET exposes only permission bits. statx's layout is the same on every Linux
    // architecture (stx_mode is the u16 at offset 28 of a 256-byte struct), so one P/Invoke serves all.
    [DllImport("libc", SetLastError = true, EntryPoint = "statx")]
    private static extern int Statx(int dirfd, string path, int flags, uint mask, byte[] buffer);

    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;

    /// <summary>"regular file", "FIFO", "character device", … or null when the type cannot be determined.</summary>
    private static string? FileKind(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var buf = new byte[256];
        try
        {
            if (Statx(AtFdCwd, path, 0, StatxType, buf) != 0) return null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return null; }
        int mode = BitConverter.ToUInt16(buf, 28) & 0xF000;
        return mode switch
        {
            0x8000 => "regular file",
            0x1000 => "FIFO",
            0x2000 => "character device",
            0x6000 => "block device",
            0xC000 => "socket",
            0x4000 => "folder",
            _ => "special file",
        };
    }
}
