using System.Runtime.InteropServices;

namespace Tvp;

/// <summary>
/// Shortens how long libtorch's idle OpenMP workers spin before they sleep, so that they leave the cores to tvp's own
/// .NET-threaded kernels (<c>Models.Classifiers.InvertedResidualKernel</c>) that run between libtorch's ops.
/// </summary>
/// <remarks>
/// libgomp (libtorch's OpenMP runtime) lets a worker that has finished a parallel region busy-wait for
/// <c>GOMP_SPINCOUNT</c> iterations — 300 000 by default, milliseconds on the 2-core EPYC — before it sleeps. libtorch's
/// back-to-back ops need only a short spin; tvp's fused MobileNet-V2 blocks run on .NET's thread pool right after
/// libtorch ops, and on two cores every spinning worker takes a core from them (perf: 7–9 % of the samples in libgomp's
/// spin loop, fused forward at batch 16 59.8 → 47.9 ms median when the spin count was 30 000, libtorch's own forward
/// unchanged within this VM's noise). libgomp reads the variable once, when it is loaded, so this must run before
/// libtorch loads: it runs first in Tvp's module initialiser (<see cref="MklCpuDispatch"/> loads libtorch right after).
/// Sets <c>GOMP_SPINCOUNT</c> = <see cref="DefaultSpinCount"/> through libc's <c>setenv</c> (.NET's own environment
/// API does not reach the C environment), unless the user set <c>GOMP_SPINCOUNT</c> or <c>OMP_WAIT_POLICY</c>
/// (theirs wins); <c>TVP_OMP_SPIN=0</c> opts out. Too late (a no-op) when libgomp was loaded before Tvp's first use;
/// a no-op off Linux. Written by hand: no library sets a C runtime's environment before a native library loads.
/// </remarks>
internal static class OpenMpWaiting
{
    /// <summary>The spin count set when the user set none.</summary>
    public const int DefaultSpinCount = 30_000;

    private static readonly object Gate = new();
    private static bool _configured;

    /// <summary>What was done (one line, for benches).</summary>
    public static string Description { get; private set; } = "not configured";

#pragma warning disable CA2255 // a library module initialiser is intended: it must run before libtorch (and libgomp) load
    [System.Runtime.CompilerServices.ModuleInitializer]
#pragma warning restore CA2255
    internal static void Configure()
    {
        lock (Gate)
        {
            if (_configured) return;
            _configured = true;
            try { Description = TryApply(); }
            catch (Exception e) { Description = $"unchanged ({e.GetType().Name}: {e.Message.Split('\n')[0]})"; }
        }
    }

    private static string TryApply()
    {
        if (Environment.GetEnvironmentVariable("TVP_OMP_SPIN") is "0" or "off" or "false") return "off (TVP_OMP_SPIN=0)";
        if (!OperatingSystem.IsLinux()) return "unchanged: not Linux";
        if (Environment.GetEnvironmentVariable("GOMP_SPINCOUNT") is { Length: > 0 } own) return $"GOMP_SPINCOUNT={own} (the user's)";
        if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is { Length: > 0 } policy) return $"OMP_WAIT_POLICY={policy} (the user's)";
        if (File.Exists("/proc/self/maps") && File.ReadAllText("/proc/self/maps").Contains("libgomp", StringComparison.Ordinal))
            return "unchanged: libgomp was loaded before tvp";
        string value = DefaultSpinCount.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (SetEnv("GOMP_SPINCOUNT", value, 1) != 0) return "unchanged: setenv failed";
        Environment.SetEnvironmentVariable("GOMP_SPINCOUNT", value); // .NET's copy says the same
        return $"GOMP_SPINCOUNT={value}";
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv(string name, string value, int overwrite);
}
