using System.Runtime.InteropServices;

namespace Tvp;

/// <summary>
/// The global-offset-table slots through which a loaded ELF shared object (Linux x86-64, glibc) calls a symbol, and the
/// means to point them elsewhere. <see cref="MklCpuDispatch"/> and <see cref="TensorBlockCache"/> redirect one or two of
/// libtorch's calls this way, in-process: no preloaded library, no re-exec, no native build. Written by hand because no
/// .NET library edits a loaded object's relocation targets.
/// </summary>
internal static unsafe class JumpSlots
{
    private const int RtldLazy = 0x1, RtldNoload = 0x4, RtldDiLinkmap = 2;
    private const long DtNull = 0, DtPltRelSz = 2, DtStrTab = 5, DtSymTab = 6, DtRela = 7, DtRelaSz = 8, DtJmpRel = 23;
    private const uint RX8664GlobDat = 6, RX8664JumpSlot = 7;
    private const int ProtRead = 1, ProtWrite = 2;

    /// <summary>
    /// Addresses of every jump slot (PLT) and GOT entry (address taken) of each of <paramref name="symbols"/> in the already
    /// loaded <paramref name="library"/> (its file name, e.g. <c>libc10.so</c>), by symbol; a list is empty when the library
    /// is not loaded or never binds that symbol. One pass over the relocation tables for all the symbols: libtorch_cpu.so's
    /// take 3–5 ms to read on the build VM, at every start-up.
    /// </summary>
    public static IReadOnlyDictionary<string, List<IntPtr>> Find(string library, params string[] symbols)
    {
        var slots = symbols.ToDictionary(s => s, _ => new List<IntPtr>(), StringComparer.Ordinal);
        IntPtr handle = DlOpen(library, RtldLazy | RtldNoload);
        if (handle == IntPtr.Zero) return slots;
        try
        {
            if (DlInfo(handle, RtldDiLinkmap, out IntPtr linkMap) != 0) return slots;
            long baseAddress = Marshal.ReadInt64(linkMap);             // struct link_map { l_addr, l_name, l_ld, ... }
            IntPtr dynamic = Marshal.ReadIntPtr(linkMap, 2 * IntPtr.Size);
            var names = symbols.Select(System.Text.Encoding.ASCII.GetBytes).ToArray();
            Scan(baseAddress, dynamic, names, (i, slot) => slots[symbols[i]].Add(slot));
            return slots;
        }
        finally { DlClose(handle); }
    }

    /// <summary>The address <paramref name="library"/> (already loaded) exports for <paramref name="symbol"/>, or zero.</summary>
    public static IntPtr Export(string library, string symbol)
    {
        IntPtr handle = DlOpen(library, RtldLazy | RtldNoload);
        if (handle == IntPtr.Zero) return IntPtr.Zero;
        try { return DlSym(handle, symbol); }
        finally { DlClose(handle); }
    }

    /// <summary>
    /// Points <paramref name="slot"/> at <paramref name="target"/> (one aligned 8-byte store, so a concurrent caller sees
    /// the old or the new target, never a mix) and returns what it held. A lazily bound jump slot is writable already; a
    /// RELRO one is made writable for the write.
    /// </summary>
    public static IntPtr Write(IntPtr slot, IntPtr target)
    {
        long page = Environment.SystemPageSize;
        var start = (IntPtr)((long)slot & ~(page - 1));
        if (MProtect(start, (UIntPtr)page, ProtRead | ProtWrite) != 0)
            throw new ExternalException($"mprotect failed ({Marshal.GetLastPInvokeError()})");
        return Interlocked.Exchange(ref System.Runtime.CompilerServices.Unsafe.AsRef<IntPtr>((void*)slot), target);
    }

    private static void Scan(long baseAddress, IntPtr dynamic, byte[][] names, Action<int, IntPtr> found)
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
        if (strTab == 0 || symTab == 0) return;
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
                for (int i = 0; i < names.Length; i++)
                    if (NameIs(strTab + nameOffset, names[i]))
                        found(i, (IntPtr)(baseAddress + Marshal.ReadInt64((IntPtr)(table + off))));
            }
        }
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

    [DllImport("libc.so.6", EntryPoint = "dlopen")]
    private static extern IntPtr DlOpen(string file, int mode);

    [DllImport("libc.so.6", EntryPoint = "dlclose")]
    private static extern int DlClose(IntPtr handle);

    [DllImport("libc.so.6", EntryPoint = "dlsym")]
    private static extern IntPtr DlSym(IntPtr handle, string symbol);

    [DllImport("libc.so.6", EntryPoint = "dlinfo")]
    private static extern int DlInfo(IntPtr handle, int request, out IntPtr info);

    [DllImport("libc.so.6", EntryPoint = "mprotect", SetLastError = true)]
    private static extern int MProtect(IntPtr address, UIntPtr length, int protection);
}
