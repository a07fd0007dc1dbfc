using CsCheck;
using static TorchSharp.torch;

namespace Tvp.Tests.IO;

public class TensorBlockCacheTests
{
    // TorchSharp's Storage<T> keeps its tensor's storage alive until collected; the tensor's own data pointer does not.
    [System.Runtime.InteropServices.DllImport("LibTorchSharp")]
    private static extern IntPtr THSTensor_data(IntPtr tensor);

    private static IntPtr DataPointer(Tensor t) => THSTensor_data(t.Handle);

    private static bool Expected =>
        Environment.GetEnvironmentVariable("TVP_TENSOR_CACHE_MB") is not "0"
        && OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64
        && File.Exists("/lib/x86_64-linux-gnu/libc.so.6");

    [Fact]
    public void Cache_is_on_exactly_on_linux_x64_with_glibc_unless_turned_off()
    {
        // Reading TensorBlockCache runs the library's module initialiser first.
        Assert.True(Expected == TensorBlockCache.Active, $"expected active = {Expected}; {TensorBlockCache.Description}");
    }

    [Fact]
    public void A_freed_large_tensor_gives_its_block_to_the_next_tensor_of_its_size_class()
    {
        if (!Expected) return; // asserted off by the test above
        // An unusual size class (between 96 and 104 MiB) that no other test's tensors share while tests run in parallel.
        long elements = (97L << 20) / 4 + 123;
        var before = TensorBlockCache.Statistics;
        IntPtr first;
        using (var a = empty(elements, dtype: ScalarType.Float32)) first = DataPointer(a);
        using var b = empty(elements - 4096, dtype: ScalarType.Float32);                         // a smaller tensor, same class
        Assert.Equal(first, DataPointer(b));
        var after = TensorBlockCache.Statistics;
        Assert.True(after.Hits > before.Hits, $"{before} → {after}");
        b.fill_(3f);
        Assert.Equal(3f, b[elements - 4097].item<float>());
    }

    [Fact]
    public void Tensors_below_the_threshold_are_left_to_libtorch_and_larger_ones_are_served()
    {
        if (!Expected) return;
        using var small = empty((TensorBlockCache.MinBlockBytes - 64) / 4, dtype: ScalarType.Float32);
        using var large = empty(TensorBlockCache.MinBlockBytes / 4, dtype: ScalarType.Float32);
        Assert.False(TensorBlockCache.Serves(DataPointer(small)));
        Assert.True(TensorBlockCache.Serves(DataPointer(large)));
    }

    [Fact]
    public void Out_of_memory_still_reaches_the_caller_as_libtorchs_error()
    {
        // 4 PiB: the cache gives up (even after releasing its idle blocks), its trampoline hands the request to
        // c10's allocator, and c10's C++ exception reaches TorchSharp through native frames only. Were the exception to
        // cross the cache's managed frame, the test host would abort instead of this test passing.
        var e = Assert.ThrowsAny<Exception>(() => empty(1L << 50, dtype: ScalarType.Float32));
        Assert.Contains("memory", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Size_classes_cover_the_request_waste_at_most_an_eighth_and_never_decrease()
    {
        Gen.Long[1, 1L << 40].Sample(n =>
        {
            nuint bytes = (nuint)n, c = TensorBlockCache.SizeClass(bytes);
            Assert.True(c >= bytes, $"{bytes} → {c}");
            Assert.True(c % 4096 == 0, $"{bytes} → {c}: not whole pages");
            if (bytes >= 1 << 15) Assert.True(c - bytes <= bytes / 8, $"{bytes} → {c}: waste over 12.5 %");
            Assert.True(TensorBlockCache.SizeClass(bytes + 1) >= c, $"{bytes} → {c}, {bytes + 1} → {TensorBlockCache.SizeClass(bytes + 1)}");
            Assert.Equal(c, TensorBlockCache.SizeClass(c)); // a class is its own class
        });
    }
}
