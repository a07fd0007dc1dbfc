namespace Tvp.Tests.IO;

public class NativeAllocatorTests
{
    [Fact]
    public void Glibc_allocator_is_tuned_when_the_library_loads()
    {
        // Reading NativeAllocator runs the library's module initialiser first.
        bool glibc = OperatingSystem.IsLinux() && (File.Exists("/lib/x86_64-linux-gnu/libc.so.6") || File.Exists("/lib/aarch64-linux-gnu/libc.so.6"));
        if (Environment.GetEnvironmentVariable("TVP_MALLOC_TUNING") == "0")
        {
            Assert.False(NativeAllocator.Applied);
            return;
        }
        Assert.Equal(glibc, NativeAllocator.Applied);
        if (glibc)
        {
            Assert.StartsWith("glibc ", NativeAllocator.Description);
            long expectedMb = Environment.GetEnvironmentVariable("TVP_MALLOC_TRIM_MB") is { } s && long.TryParse(s, out var v) ? v : NativeAllocator.DefaultTrimThresholdMb;
            Assert.Equal(expectedMb * 1024 * 1024, NativeAllocator.TrimThresholdBytes);
        }
    }
}
