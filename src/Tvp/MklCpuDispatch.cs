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
    private const int RtldLazy = 0x1, RtldNoload = 0x4, RtldDiLinkmap = 2;
    private const long DtNull = 0, DtPltRelSz = 2, DtStrTab = 5, DtSymTab = 6, DtRela = 7, DtRelaSz = 8, DtJmpRel = 23;
    private const uint RX8664GlobDat = 6, RX8664JumpSlot = 7;
    private const int ProtRead = 1, ProtWrite = 2;

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
        IntPtr handle = DlOpen("libtorch_cpu.so", RtldLazy | RtldNoload);
        if (handle == IntPtr.Zero) return "unchanged: libtorch_cpu.so not loaded";
        try
        {
            if (DlInfo(handle, RtldDiLinkmap, out IntPtr linkMap) != 0) return "unchanged: no link map";
            long baseAddress = Marshal.ReadInt64(linkMap);             // struct link_map { l_addr, l_name, l_ld, ... }
            IntPtr dynamic = Marshal.ReadIntPtr(linkMap, 2 * IntPtr.Size);
            int patched = Patch(baseAddress, dynamic, Marshal.GetFunctionPointerForDelegate(AnswerYes));
            Applied = patched > 0;
            return Applied ? $"AMD with AVX-512: MKL's vendor check answered yes ({patched} slot)" : $"unchanged: no {Symbol} slot in libtorch_cpu.so";
        }
        finally { DlClose(handle); }
    }

    /// <summary>Points every GOT / jump slot of <see cref="Symbol"/> in the loaded object at <paramref name="target"/>.</summary>
    private static int Patch(long baseAddress, IntPtr dynamic, IntPtr target)
    {
        long strTab = 0, symTab = 0, rela = 0, relaSize = 0, jmpRel = 0, jmpRelSize = 0;
        for (int i = 0; ; i += 16) // Elf64_Dyn { d_tag, d_val }
        {
            long tag = Marshal.ReadInt64(dynamic, i), value = Marshal.ReadInt64(dynamic, i + 8);
            if (tag == DtNull) break;
            switch (tag)
            {
                case DtStrTab: strTab = value; break;
                case DtSymTab: symTab = value; break;
                case DtRela: rela = value; break;
                case DtRelaSz: relaSize = value; break;
                case DtJmpRel: jmpRel = value; break;
                case DtPltRelSz: jmpRelSize = value; break;
            }
        }
        long Absolute(long p) => p != 0 && p < baseAddress ? p + baseAddress : p; // glibc relocates these on x86-64; be safe
        strTab = Absolute(strTab); symTab = Absolute(symTab); rela = Absolute(rela); jmpRel = Absolute(jmpRel);
        if (strTab == 0 || symTab == 0) return 0;
        byte[] symbol = System.Text.Encoding.ASCII.GetBytes(Symbol);
        int patched = 0;
        foreach (var (table, size) in new[] { (jmpRel, jmpRelSize), (rela, relaSize) })
        {
            if (table == 0) continue;
            for (long off = 0; off + 24 <= size; off += 24) // Elf64_Rela { r_offset, r_info, r_addend }
            {
                long info = Marshal.ReadInt64((IntPtr)(table + off), 8);
                uint type = (uint)(info & 0xffffffff);
                if (type != RX8664JumpSlot && type != RX8664GlobDat) continue;
                long sym = symTab + (info >>> 32) * 24;                  // Elf64_Sym { st_name (u32), ... }, 24 bytes
                uint nameOffset = (uint)Marshal.ReadInt32((IntPtr)sym);
                if (!NameIs(strTab + nameOffset, symbol)) continue;
                var slot = (IntPtr)(baseAddress + Marshal.ReadInt64((IntPtr)(table + off)));
                WriteSlot(slot, target);
                patched++;
            }
        }
        return patched;
    }

    /// <summary>
    /// True when the NUL-terminated name at <paramref name="address"/> is <paramref name="name"/>; compared in place, as the
    /// tables hold tens of thousands of names (a string per name made the scan 11–19 ms of every start-up).
    /// </summary>
    private static bool NameIs(long address, byte[] name)
    {
        for (int i = 0; i < name.Length; i++)
            if (Marshal.ReadByte((IntPtr)(address + i)) != name[i]) return false;
        return Marshal.ReadByte((IntPtr)(address + name.Length)) == 0;
    }

    private static void WriteSlot(IntPtr slot, IntPtr target)
    {
        long page = Environment.SystemPageSize;
        var start = (IntPtr)((long)slot & ~(page - 1));
        // A lazily bound jump slot is writable already; a RELRO one is not: make its page writable for the write.
        if (MProtect(start, (UIntPtr)page, ProtRead | ProtWrite) != 0)
            throw new ExternalException($"mprotect failed ({Marshal.GetLastPInvokeError()})");
        Marshal.WriteIntPtr(slot, target);
    }

    private static bool IsAmd()
    {
        if (!X86Base.IsSupported) return false;
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        Span<int> vendor = [ebx, edx, ecx];
        return System.Text.Encoding.ASCII.GetString(MemoryMarshal.AsBytes(vendor)) == "AuthenticAMD";
    }

    [DllImport("libc.so.6", EntryPoint = "dlopen")]
    private static extern IntPtr DlOpen(string file, int mode);

    [DllImport("libc.so.6", EntryPoint = "dlclose")]
    private static extern int DlClose(IntPtr handle);

    [DllImport("libc.so.6", EntryPoint = "dlinfo")]
    private static extern int DlInfo(IntPtr handle, int request, out IntPtr info);

    [DllImport("libc.so.6", EntryPoint = "mprotect", SetLastError = true)]
    private static extern int MProtect(IntPtr address, UIntPtr length, int protection);
}
