using CsCheck;
using static TorchSharp.torch;

namespace Tvp.Tests.IO;

public class TensorBlockCacheTests
{
    private static IntPtr DataPointer(Tensor t) => Tvp.Models.TensorAddress.Of(t);

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
    public void Concurrent_large_tensors_never_share_a_block()
    {
        // Four threads allocate, fill, yield and check tensors of sizes that share classes: a block handed to two live
        // tensors at once (a race in the cache) would show another thread's value.
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, id =>
        {
            var random = new Random(id);
            for (int i = 0; i < 40; i++)
            {
                long elements = (1L << 18) + random.Next(1 << 20);             // 1–5 MiB of float32
                using var scope = NewDisposeScope();
                var t = empty(elements, dtype: ScalarType.Float32).fill_(id + 1);
                var u = empty(elements / 2 + 1, dtype: ScalarType.Float32).fill_(-(id + 1));
                Thread.Yield();
                if (!t.eq(id + 1).all().item<bool>() || !u.eq(-(id + 1)).all().item<bool>())
                    failures.Add($"thread {id}, iteration {i}: a tensor holds another's values");
            }
        });
        Assert.Empty(failures);
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

public class IdleBlockPoolTests
{
    private const nuint Mb = 1 << 20;

    [Fact]
    public void Take_returns_the_newest_block_of_the_class_then_a_class_up_to_twice_it_then_nothing()
    {
        var pool = new IdleBlockPool(capacityBytes: 1L << 40, staleFrees: 1000);
        Assert.Null(pool.Keep(1, 4 * Mb));
        Assert.Null(pool.Keep(2, 4 * Mb));
        Assert.Null(pool.Keep(3, 9 * Mb));
        Assert.Null(pool.Keep(4, 7 * Mb));
        Assert.Equal(24 * (long)Mb, pool.IdleBytes);
        Assert.Equal(((IntPtr)2, 4 * Mb), pool.Take(4 * Mb));   // newest of its own class
        Assert.Equal(((IntPtr)1, 4 * Mb), pool.Take(4 * Mb));
        Assert.Equal(((IntPtr)4, 7 * Mb), pool.Take(4 * Mb));   // the smallest class within twice the request
        Assert.Equal((IntPtr.Zero, (nuint)0), pool.Take(4 * Mb)); // 9 MB is more than twice 4 MB
        Assert.Equal(((IntPtr)3, 9 * Mb), pool.Take(5 * Mb));
        Assert.Equal(0, pool.IdleBytes);
        Assert.Equal(24 * (long)Mb, pool.PeakIdleBytes);
    }

    [Fact]
    public void Over_capacity_the_oldest_idle_blocks_go_back_first()
    {
        var pool = new IdleBlockPool(capacityBytes: 10 * (long)Mb, staleFrees: 1000);
        Assert.Null(pool.Keep(1, 4 * Mb));
        Assert.Null(pool.Keep(2, 2 * Mb));
        Assert.Null(pool.Keep(3, 4 * Mb));
        Assert.Equal([(IntPtr)1], pool.Keep(4, 3 * Mb));           // 13 MB idle → the oldest (4 MB) goes
        Assert.Equal(9 * (long)Mb, pool.IdleBytes);
        Assert.Equal((IntPtr.Zero, (nuint)0), pool.Take(8 * Mb));
        Assert.Equal(((IntPtr)3, 4 * Mb), pool.Take(4 * Mb));      // block 1 is no longer there to take
        Assert.Equal([(IntPtr)9], pool.Keep(9, 11 * Mb));          // larger than the capacity: straight back
    }

    [Fact]
    public void A_block_taken_and_freed_again_is_young_and_a_block_left_idle_too_long_goes_back()
    {
        var pool = new IdleBlockPool(capacityBytes: 1L << 40, staleFrees: 3);
        Assert.Null(pool.Keep(1, 4 * Mb));                          // free 1
        Assert.Null(pool.Keep(2, 8 * Mb));                          // free 2
        Assert.Equal(((IntPtr)1, 4 * Mb), pool.Take(4 * Mb));
        Assert.Null(pool.Keep(1, 4 * Mb));                          // free 3: block 1 idle again, from now
        Assert.Null(pool.Keep(3, 2 * Mb));                          // free 4: block 2 idle since free 2, not yet 3 frees
        Assert.Equal([(IntPtr)2], pool.Keep(4, 2 * Mb));            // free 5: 3 frees → back to glibc; block 1 (since 3) stays
        Assert.Equal([(IntPtr)1], pool.Keep(5, 2 * Mb));            // free 6: now block 1 too
        Assert.Equal(6 * (long)Mb, pool.IdleBytes);
        Assert.Equal(3, pool.TakeAll().Count);
        Assert.Equal(0, pool.IdleBytes);
    }
}
