using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;

namespace Tvp;

/// <summary>
/// Gives a large CPU tensor the memory block of a freed tensor of its size class instead of fresh heap: a caching
/// allocator in front of libtorch's <c>c10::alloc_cpu</c> / <c>c10::free_cpu</c>.
/// </summary>
/// <remarks>
/// <para>
/// Why: libtorch asks glibc for every tensor with <c>posix_memalign(64, n)</c>, which in glibc up to 2.37 (Debian 12 has
/// 2.36) always requests <c>n + 64 + 32</c> bytes from the heap. The block a freed activation leaves behind is therefore
/// 96 bytes too small for the next activation of the very same size, small allocations take the slivers around it, and
/// the heap grows into fresh pages on every batch: measured on the 2-core AMD EPYC VM (issue 12), a MobileNet-V2
/// evaluation loop at batch 16 grew the heap by ~10 MB per batch for ever (830 MB of heap for 135 MB in use after 60
/// batches), and a batch that faulted in new pages took 150–200 ms instead of 62–68 ms: each 4 KiB first touch costs
/// ~10 µs on that VM. <see cref="NativeAllocator"/>'s glibc settings stop the unmapping of freed blocks but cannot stop
/// this growth; no <c>GLIBC_TUNABLES</c> setting did (tcache, fastbins and top padding tried).
/// </para>
/// <para>
/// How: the jump slots of both functions in <c>libc10.so</c> and <c>libtorch_cpu.so</c> (<see cref="JumpSlots"/>) are
/// pointed here at start-up (Tvp's module initialiser, so it holds for the CLI, the tests and library hosts alike).
/// Requests of at least <see cref="MinBlockBytes"/> are rounded up to a size class (a multiple of 1/8 of the largest
/// power of two not above them: at most 12.5 % more address space, untouched pages of which are never made resident);
/// a freed block stays idle for the next request of its class (or of a class up to half its size), newest first. Every
/// block is a plain glibc <c>posix_memalign</c> block, so one freed by anyone else — or after <see cref="Uninstall"/>,
/// which runs at process exit — is still freed correctly. Smaller requests, and any request while the cache is off, go
/// to c10 unchanged; a request the cache cannot meet even after releasing its idle blocks goes to c10 too, which
/// reports out-of-memory as before (<see cref="AllocationTrampoline"/>).
/// </para>
/// <para>
/// Cost: at most <see cref="CapacityBytes"/> of idle blocks stay resident (an eighth of the memory the process may use,
/// at least <see cref="MinDefaultCapacityMb"/> MiB; <c>TVP_TENSOR_CACHE_MB</c> sets it), the oldest released first, and
/// a block idle for <see cref="StaleFrees"/> frees is released whatever the total (a size the program stopped asking
/// for). The bound must hold a training step's activations: at 1 GiB, MobileNet-V2 training at batch 32 (2 GB of them)
/// released and re-allocated blocks every step and faulted more than with no cache. Off with <c>TVP_TENSOR_CACHE_MB=0</c>.
/// Applied on Linux x86-64 with glibc only; a no-op elsewhere.
/// </para>
/// </remarks>
internal static unsafe class TensorBlockCache
{
    private const string AllocSymbol = "_ZN3c109alloc_cpuEm", FreeSymbol = "_ZN3c108free_cpuEPv"; // c10::alloc_cpu(size_t), c10::free_cpu(void*)
    private static readonly string[] Libraries = ["libc10.so", "libtorch_cpu.so"];
    private const int Alignment = 64; // c10's gAlignment

    /// <summary>Smallest request the cache serves (1 MiB): below it glibc's bins already reuse freed blocks.</summary>
    public const long MinBlockBytes = 1 << 20;

    /// <summary>Least default bound on idle cached bytes, in MiB (the default is an eighth of the memory, at least this).</summary>
    public const int MinDefaultCapacityMb = 1024;

    /// <summary>An idle block not taken again within this many frees goes back to glibc.</summary>
    public const long StaleFrees = 10_000;

    private static readonly object Gate = new();
    private static readonly Dictionary<IntPtr, nuint> Live = new();            // block → its class size
    private static IdleBlockPool _idle = new(0, StaleFrees);
    private static readonly List<(IntPtr Slot, IntPtr Original)> Patched = new();
    private static long _hits, _misses;
    private static volatile bool _active;
    private static delegate* unmanaged<IntPtr, void> _c10Free;

    /// <summary>True while the cache serves c10's allocations in this process.</summary>
    public static bool Active => _active;

    /// <summary>Bound on idle cached bytes (0 when the cache is off).</summary>
    public static long CapacityBytes { get; private set; }

    /// <summary>Why the cache is or is not on (one line, for benches and reports).</summary>
    public static string Description { get; private set; } = "not configured";

    /// <summary>Counters since start-up.</summary>
    public readonly record struct Counters(long Hits, long Misses, long IdleBytes, long PeakIdleBytes, int LiveBlocks);

    /// <summary>Requests served from idle blocks and from fresh memory, idle bytes now and at most, blocks in use.</summary>
    public static Counters Statistics
    {
        get { lock (Gate) return new(_hits, _misses, _idle.IdleBytes, _idle.PeakIdleBytes, Live.Count); }
    }

    /// <summary>True when <paramref name="block"/> (a tensor's data pointer) is a block the cache handed out and still tracks.</summary>
    public static bool Serves(IntPtr block)
    {
        lock (Gate) return Live.ContainsKey(block);
    }

    /// <summary>
    /// The size class of a request: rounded up to a multiple of 1/8 of the largest power of two not above it (at least
    /// a page), so sizes that differ by a few percent share blocks and no class wastes more than 12.5 %.
    /// </summary>
    public static nuint SizeClass(nuint bytes)
    {
        int log2 = BitOperations.Log2((ulong)Math.Max(bytes, (nuint)1));
        nuint granule = (nuint)1 << Math.Max(log2 - 3, 12);
        return (bytes + granule - 1) & ~(granule - 1);
    }

#pragma warning disable CA2255 // a library module initialiser is intended: every host of the library must get it
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Configure()
    {
        // Never fail the host: libtorch that cannot load reports itself at its first use, with its own message.
        try { Description = TryInstall(); }
        catch (Exception e) { Description = $"off ({e.GetType().Name}: {e.Message.Split('\n')[0]})"; }
    }

    private static string TryInstall()
    {
        long mb = Math.Max(MinDefaultCapacityMb, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 8 >> 20);
        if (Environment.GetEnvironmentVariable("TVP_TENSOR_CACHE_MB") is { Length: > 0 } s)
        {
            if (!long.TryParse(s, out mb) || mb < 0) return $"off (TVP_TENSOR_CACHE_MB={s} is not a size in MiB)";
            if (mb == 0) return "off (TVP_TENSOR_CACHE_MB=0)";
        }
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return "off: not Linux x86-64";
        if (NativeAllocator.GlibcVersion() is null) return "off: not glibc";
        torch.InitializeDeviceType(DeviceType.CPU); // loads libc10 and libtorch_cpu
        IntPtr c10Alloc = JumpSlots.Export(Libraries[0], AllocSymbol), c10Free = JumpSlots.Export(Libraries[0], FreeSymbol);
        if (c10Alloc == IntPtr.Zero || c10Free == IntPtr.Zero) return "off: libc10.so does not export alloc_cpu/free_cpu";
        var found = Libraries.Select(l => JumpSlots.Find(l, AllocSymbol, FreeSymbol)).ToList();
        var allocSlots = found.SelectMany(f => f[AllocSymbol]).ToList();
        var freeSlots = found.SelectMany(f => f[FreeSymbol]).ToList();
        if (allocSlots.Count == 0 || freeSlots.Count == 0) return "off: no alloc_cpu/free_cpu jump slots in libtorch";
        IntPtr trampoline = AllocationTrampoline.Create((IntPtr)(delegate* unmanaged[Cdecl]<nuint, IntPtr>)&TryAllocate, c10Alloc);
        if (trampoline == IntPtr.Zero) return "off: the system refused an executable page";
        _c10Free = (delegate* unmanaged<IntPtr, void>)c10Free;
        CapacityBytes = mb * 1024 * 1024;
        _idle = new IdleBlockPool(CapacityBytes, StaleFrees);
        _active = true;
        lock (Gate)
        {
            // Frees first: a block handed out by the cache must never reach a slot that is not redirected yet.
            foreach (var slot in freeSlots) Patched.Add((slot, JumpSlots.Write(slot, (IntPtr)(delegate* unmanaged[Cdecl]<IntPtr, void>)&Free)));
            foreach (var slot in allocSlots) Patched.Add((slot, JumpSlots.Write(slot, trampoline)));
        }
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Uninstall();
        return $"on: tensors of 1 MiB or more reuse freed blocks of their size class, at most {mb} MiB idle ({allocSlots.Count + freeSlots.Count} slots)";
    }

    /// <summary>
    /// Points every redirected slot back at c10 and stops caching (idle blocks are left to the process's end). Blocks in
    /// use stay valid: c10 frees them with glibc's <c>free</c>, which they came from.
    /// </summary>
    public static void Uninstall()
    {
        lock (Gate)
        {
            _active = false;
            foreach (var (slot, original) in Patched) JumpSlots.Write(slot, original);
            Patched.Clear();
        }
    }

    /// <summary>Hands every idle block back to glibc (its pages stay resident within glibc's trim threshold).</summary>
    public static void ReleaseIdle()
    {
        List<IntPtr> victims;
        lock (Gate)
        {
            victims = _idle.TakeAll();
        }
        foreach (var p in victims) LibcFree(p);
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static IntPtr TryAllocate(nuint bytes)
    {
        if (bytes < MinBlockBytes || !_active) return IntPtr.Zero; // the trampoline goes on to c10's alloc_cpu
        try
        {
            nuint size = SizeClass(bytes);
            lock (Gate)
            {
                if (_idle.Take(size) is { Block: not 0 } idle)
                {
                    Live[idle.Block] = idle.Size;
                    _hits++;
                    return idle.Block;
                }
            }
            IntPtr fresh = Aligned(size);
            if (fresh == IntPtr.Zero)
            {
                ReleaseIdle();
                fresh = Aligned(size);
                if (fresh == IntPtr.Zero) return IntPtr.Zero; // c10 tries once more and reports out-of-memory
            }
            lock (Gate)
            {
                Live[fresh] = size;
                _misses++;
            }
            return fresh;
        }
        catch { return IntPtr.Zero; } // never let an exception cross into native code
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Free(IntPtr data)
    {
        if (data != IntPtr.Zero && _active)
        {
            try
            {
                List<IntPtr>? victims = null;
                bool kept = false;
                lock (Gate)
                {
                    // A block whose address glibc has since handed to someone else (freed behind the cache's back, which
                    // libtorch does not do) is smaller than its record says: it goes to c10's free like any other.
                    if (Live.Remove(data, out nuint size) && MallocUsableSize(data) >= size)
                    {
                        victims = _idle.Keep(data, size);
                        kept = true;
                    }
                }
                if (victims is not null) foreach (var p in victims) LibcFree(p);
                if (kept) return;
            }
            catch { } // fall through to c10's free
        }
        _c10Free(data);
    }

    private static IntPtr Aligned(nuint size) => PosixMemalign(out IntPtr p, Alignment, size) == 0 ? p : IntPtr.Zero;

    [DllImport("libc.so.6", EntryPoint = "posix_memalign")]
    private static extern int PosixMemalign(out IntPtr memory, nuint alignment, nuint size);

    [DllImport("libc.so.6", EntryPoint = "free")]
    private static extern void LibcFree(IntPtr memory);

    [DllImport("libc.so.6", EntryPoint = "malloc_usable_size"), SuppressGCTransition]
    private static extern nuint MallocUsableSize(IntPtr memory);
}
