namespace Tvp.Bench;

/// <summary>
/// The process's resident memory from Linux <c>/proc/self/status</c>: current (VmRSS) and high-water mark (VmHWM),
/// which <see cref="Reset"/> sets back to the current value (<c>/proc/self/clear_refs</c> ← 5), so each phase of a
/// benchmark reports its own peak. Zero where /proc is not there.
/// </summary>
public static class PeakMemory
{
    /// <summary>Resets the high-water mark to the current resident size.</summary>
    public static void Reset()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Peak resident bytes since start or the last <see cref="Reset"/>.</summary>
    public static long PeakBytes() => Status("VmHWM:");

    /// <summary>Current resident bytes.</summary>
    public static long CurrentBytes() => Status("VmRSS:");

    /// <summary>MemAvailable of the machine.</summary>
    public static long AvailableBytes() => Field("/proc/meminfo", "MemAvailable:");

    private static long Status(string key) => Field("/proc/self/status", key);

    private static long Field(string file, string key)
    {
        if (!File.Exists(file)) return 0;
        foreach (var line in File.ReadLines(file))
            if (line.StartsWith(key, StringComparison.Ordinal))
                return long.Parse(line[key.Length..].Trim().Split(' ')[0]) * 1024;   // kB
        return 0;
    }
}
