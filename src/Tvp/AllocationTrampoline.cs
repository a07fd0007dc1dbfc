using System.Runtime.InteropServices;

namespace Tvp;

/// <summary>
/// A 36-byte x86-64 function <c>void* f(size_t n)</c> that returns <c>attempt(n)</c> when that is not null and otherwise
/// tail-jumps to <c>fallback(n)</c>. <see cref="TensorBlockCache"/> puts it in front of libtorch's <c>c10::alloc_cpu</c>:
/// the managed attempt must never let a C++ exception cross its frame (unwinding through managed frames aborts the
/// process on Linux), and c10's allocator reports out-of-memory by throwing. When the attempt gives up, the jump leaves
/// only native frames between the caller and c10, so c10's own "not enough memory" error reaches TorchSharp as before.
/// Hand-written because .NET cannot express a tail call into native code, and a native shim would need a C toolchain.
/// </summary>
internal static class AllocationTrampoline
{
    private const int ProtRead = 1, ProtWrite = 2, ProtExec = 4, MapPrivate = 0x02, MapAnonymous = 0x20;

    /// <summary>The trampoline's address in a fresh read+execute page, or zero when the system refuses executable memory.</summary>
    public static IntPtr Create(IntPtr attempt, IntPtr fallback)
    {
        var code = new List<byte>
        {
            0xF3, 0x0F, 0x1E, 0xFA, // endbr64 (a no-op without indirect-branch tracking)
            0x57,                   // push rdi        ; keep n; the stack is 16-byte aligned for the call
            0x48, 0xB8,             // movabs rax, attempt
        };
        code.AddRange(BitConverter.GetBytes((long)attempt));
        code.AddRange(new byte[]
        {
            0xFF, 0xD0,             // call rax
            0x5F,                   // pop rdi         ; n again
            0x48, 0x85, 0xC0,       // test rax, rax
            0x74, 0x01,             // je fallback
            0xC3,                   // ret             ; the attempt's block
            0x48, 0xB8,             // fallback: movabs rax, fallback
        });
        code.AddRange(BitConverter.GetBytes((long)fallback));
        code.AddRange(new byte[] { 0xFF, 0xE0 }); // jmp rax        ; fallback(n) returns to our caller

        long page = Environment.SystemPageSize;
        IntPtr memory = MMap(IntPtr.Zero, (UIntPtr)page, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, IntPtr.Zero);
        if (memory == new IntPtr(-1)) return IntPtr.Zero;
        Marshal.Copy(code.ToArray(), 0, memory, code.Count);
        if (MProtect(memory, (UIntPtr)page, ProtRead | ProtExec) != 0)
        {
            MUnmap(memory, (UIntPtr)page);
            return IntPtr.Zero;
        }
        return memory;
    }

    [DllImport("libc.so.6", EntryPoint = "mmap")]
    private static extern IntPtr MMap(IntPtr address, UIntPtr length, int protection, int flags, int fd, IntPtr offset);

    [DllImport("libc.so.6", EntryPoint = "munmap")]
    private static extern int MUnmap(IntPtr address, UIntPtr length);

    [DllImport("libc.so.6", EntryPoint = "mprotect")]
    private static extern int MProtect(IntPtr address, UIntPtr length, int protection);
}
