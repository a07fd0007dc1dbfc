using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Tvp;

/// <summary>
/// Keeps freed tensor memory in the process instead of handing it back to the kernel after every op.
/// </summary>
/// <remarks>
/// libtorch's CPU allocator gets each activation from <c>malloc</c>. glibc serves requests above its mmap threshold
/// (32 MiB at most) with a fresh <c>mmap</c> and returns them with <c>munmap</c> on free, and trims the heap top
/// above 128 KiB; a [32,96,112,112] float activation (154 MB) is therefore unmapped after the op that consumed it
/// and page-faulted back in, zero-filled, by the next one. Measured on a 2-core AMD EPYC (issue 12, item 5): 48 s of
/// a 60 s MobileNet-V2 evaluation were kernel time. At start-up (a module initialiser, so it holds for the CLI,
/// <c>dotnet Tvp.Cli.dll</c>, tests and library users alike) this sets, through glibc's own <c>mallopt</c>:
/// <list type="bullet">
/// <item><c>M_MMAP_MAX = 0</c>: large blocks come from the heap and are reused after free, never unmapped;</item>
/// <item><c>M_TRIM_THRESHOLD</c> = <see cref="TrimThresholdBytes"/> (default 1 GiB, <c>TVP_MALLOC_TRIM_MB</c>): at most
/// that much free memory stays resident at the top of a heap before glibc trims it — the bound on the extra
/// resident memory this costs, beyond what the process already used at its peak.</item>
/// </list>
/// Opt out with <c>TVP_MALLOC_TUNING=0</c> (glibc's own <c>GLIBC_TUNABLES</c> then apply unchanged). A no-op where the C
/// library is not glibc (musl, macOS, Windows). Written by hand because no library configures the C allocator;
/// a caching allocator (jemalloc preload) would need a native package and a re-exec, for a similar measured gain.
/// </remarks>
internal static class NativeAllocator
{
    private const int MTrimThreshold = -1; // glibc malloc.h
    private const int MMmapMax = -4;

    /// <summary>Default <c>M_TRIM_THRESHOLD</c> in MiB.</summary>
    public const int DefaultTrimThresholdMb = 1024;

    /// <summary>True when the tuning was applied to this process.</summary>
    public static bool Applied { get; private set; }

    /// <summary>The trim threshold set (bytes), or 0 when the tuning was not applied.</summary>
    public static long TrimThresholdBytes { get; private set; }

    /// <summary>Why the tuning was or was not applied (one line, for benches and <c>--version</c>-style reports).</summary>
    public static string Description { get; private set; } = "not configured";

#pragma warning disable CA2255 // a library module initialiser is intended: every host of the library must get the tuning
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Configure()
    {
        if (Environment.GetEnvironmentVariable("TVP_MALLOC_TUNING") is "0" or "off" or "false")
        {
            Description = "off (TVP_MALLOC_TUNING=0)";
            return;
        }
        if (!OperatingSystem.IsLinux() || GlibcVersion() is not { } version)
        {
            Description = "not glibc: unchanged";
            return;
        }
        long mb = DefaultTrimThresholdMb;
        if (Environment.GetEnvironmentVariable("TVP_MALLOC_TRIM_MB") is { Length: > 0 } s
            && long.TryParse(s, out var parsed) && parsed >= 0)
            mb = Math.Min(parsed, int.MaxValue / (1024 * 1024)); // mallopt takes an int
        long bytes = mb * 1024 * 1024;
        bool ok = Mallopt(MMmapMax, 0) == 1 && Mallopt(MTrimThreshold, (int)bytes) == 1;
        Applied = ok;
        TrimThresholdBytes = ok ? bytes : 0;
        Description = ok ? $"glibc {version}: mmap_max=0, trim_threshold={mb} MiB" : $"glibc {version}: mallopt refused, unchanged";
    }

    /// <summary>glibc's version string, or null when the C library is not glibc.</summary>
    internal static string? GlibcVersion()
    {
        try { return Marshal.PtrToStringAnsi(GnuGetLibcVersion()); }
        catch (DllNotFoundException) { return null; }
        catch (EntryPointNotFoundException) { return null; }
    }

    [DllImport("libc.so.6", EntryPoint = "mallopt")]
    private static extern int Mallopt(int param, int value);

    [DllImport("libc.so.6", EntryPoint = "gnu_get_libc_version")]
    private static extern IntPtr GnuGetLibcVersion();
}
