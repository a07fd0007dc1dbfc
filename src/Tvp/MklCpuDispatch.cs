using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using TorchSharp;

namespace Tvp;

/// <summary>
/// Lets libtorch's bundled Intel oneMKL run its AVX-512 code paths on AMD processors that have AVX-512.
/// </summary>
/// <remarks>
/// oneMKL (2024.0 in libtorch 2.10) picks its kernels by vendor: on a non-Intel CPU it takes the AVX2 path even when the
/// CPU has AVX-512, whatever <c>MKL_ENABLE_INSTRUCTIONS</c> or <c>MKL_CBWR</c> say (both tried). Its vendor check is one
/// exported function, <c>mkl_serv_intel_cpu_true</c>, which libtorch_cpu.so calls through its procedure linkage table.
/// Measured on the 2-core AMD EPYC VM (issue 12): MKL's sgemm took 6.8 ms on the AVX2 path and 2.3 ms on the AVX-512
/// path for the same [200704×32]·[32×16] product; MobileNet-V2 forward +40 %, forward+backward +35 %, MobileNet-V1
/// 0.75/192 +40–70 % / +50 % (<c>bench per-mac</c>, the vendor check answered through <c>LD_PRELOAD</c>).
/// <para>
/// In-process, with no preloaded library and no re-exec (so it holds for the CLI, <c>dotnet Tvp.Cli.dll</c>, the tests
/// and library hosts alike): after libtorch is loaded, the library's jump slot for <c>mkl_serv_intel_cpu_true</c> is
/// pointed at a function that answers 1. MKL asks only when it first dispatches (twice per process, on the calling
/// thread), so this must run before the first BLAS call; <see cref="Configure"/> runs from Tvp's module initialiser.
/// That loads libtorch when the library loads (about 0.6 s on the build VM), which any command that runs a model pays
/// anyway; commands that never touch a tensor (<c>tvp --help</c>) pay it too.
/// </para>
/// <para>
/// Applied only on Linux x64 with glibc, an AMD CPU with AVX-512 (F, CD, BW, DQ, VL), and when the slot is found; a no-op
/// everywhere else (Intel CPUs already get these paths). Opt out with <c>TVP_MKL_AVX512=0</c>. Written by hand because
/// no library does this; the alternative, an <c>LD_PRELOAD</c>ed shim, needs a native build and a re-exec.
/// </para>
/// </remarks>
internal static class MklCpuDispatch
{
    private const string Symbol = "mkl_serv_intel_cpu_true";

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int IntelCpuTrue();

    private static readonly IntelCpuTrue AnswerYes = () => 1; // kept alive for the process: libtorch holds its pointer

    /// <summary>True when MKL's vendor check was redirected in this process.</summary>
    public static bool Applied { get; private set; }

    /// <summary>Why it was or was not applied (one line, for benches).</summary>
    public static string Description { get; private set; } = "not configured";

    /// <summary>Redirects MKL's vendor check when this CPU and libtorch allow it (see the remarks).</summary>
#pragma warning disable CA2255 // a library module initialiser is intended: it must run before any host's first BLAS call
    [System.Runtime.CompilerServices.ModuleInitializer]
#pragma warning restore CA2255
    internal static void Configure()
    {
        OpenMpWaiting.Configure(); // before libtorch (and its OpenMP runtime) load below
        // Never fail the host: libtorch that cannot load reports itself at its first use, with its own message.
        try { Description = TryApply(); }
        catch (Exception e) { Description = $"unchanged ({e.GetType().Name}: {e.Message.Split('\n')[0]})"; }
    }

    private static string TryApply()
    {
        if (Environment.GetEnvironmentVariable("TVP_MKL_AVX512") is "0" or "off" or "false") return "off (TVP_MKL_AVX512=0)";
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return "unchanged: not Linux x64";
        if (!IsAmd()) return "unchanged: not an AMD CPU";
        if (!(Avx512F.IsSupported && Avx512CD.IsSupported && Avx512BW.IsSupported && Avx512DQ.IsSupported && Avx512F.VL.IsSupported))
            return "unchanged: no AVX-512";
        torch.InitializeDeviceType(DeviceType.CPU); // loads libtorch (and its MKL) before anything has called BLAS
        var slots = JumpSlots.Find("libtorch_cpu.so", Symbol)[Symbol];
        if (slots.Count == 0) return $"unchanged: no {Symbol} slot in libtorch_cpu.so (or it is not loaded)";
        IntPtr target = Marshal.GetFunctionPointerForDelegate(AnswerYes);
        foreach (var slot in slots) JumpSlots.Write(slot, target);
        Applied = true;
        return $"AMD with AVX-512: MKL's vendor check answered yes ({slots.Count} slot)";
    }

    private static bool IsAmd()
    {
        if (!X86Base.IsSupported) return false;
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        Span<int> vendor = [ebx, edx, ecx];
        return System.Text.Encoding.ASCII.GetString(MemoryMarshal.AsBytes(vendor)) == "AuthenticAMD";
    }
}
