using System.Runtime.Intrinsics.X86;
using static TorchSharp.torch;

namespace Tvp.Tests.IO;

public class MklCpuDispatchTests
{
    private static bool AmdWithAvx512()
    {
        if (!X86Base.IsSupported || !Avx512F.IsSupported || !Avx512BW.IsSupported || !Avx512DQ.IsSupported || !Avx512CD.IsSupported || !Avx512F.VL.IsSupported)
            return false;
        return File.Exists("/proc/cpuinfo") && File.ReadLines("/proc/cpuinfo").Any(l => l.StartsWith("vendor_id", StringComparison.Ordinal) && l.Contains("AuthenticAMD"));
    }

    [Fact]
    public void Vendor_check_is_redirected_exactly_on_amd_cpus_with_avx512()
    {
        // Reading MklCpuDispatch runs the library's module initialiser first.
        if (Environment.GetEnvironmentVariable("TVP_MKL_AVX512") is "0" or "off" or "false")
        {
            Assert.False(MklCpuDispatch.Applied);
            return;
        }
        bool expected = OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64 && AmdWithAvx512();
        Assert.True(expected == MklCpuDispatch.Applied, $"expected applied = {expected}; {MklCpuDispatch.Description}");
    }

    /// <summary>
    /// Whatever path MKL runs here (AVX-512 on an AMD CPU once redirected), float32 products of many shapes, transposed
    /// and not, with odd sizes that exercise the kernels' edge handling, match float64 products of the same values.
    /// </summary>
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(7, 13, 5)]
    [InlineData(33, 17, 65)]
    [InlineData(200, 31, 16)]
    [InlineData(1000, 24, 144)]
    [InlineData(129, 257, 63)]
    [InlineData(512, 512, 512)]
    [InlineData(3136, 384, 64)]
    public void Float32_products_match_float64(int m, int k, int n)
    {
        using var scope = NewDisposeScope();
        var g = new Generator((ulong)(m * 7919 + k * 31 + n));
        var a = randn(new long[] { m, k }, generator: g);
        var b = randn(new long[] { k, n }, generator: g);
        var bias = randn(new long[] { n }, generator: g);
        var reference = addmm(bias.to(float64), a.to(float64), b.to(float64), 1, 1);
        var scale = a.to(float64).abs().mm(b.to(float64).abs()).max().item<double>() + bias.abs().max().item<float>();
        foreach (var (what, result) in new[]
        {
            ("a·b + bias", addmm(bias, a, b, 1, 1)),
            ("(bᵀ·aᵀ)ᵀ", b.t().contiguous().matmul(a.t().contiguous()).T + bias),
            ("column-major operands", a.t().contiguous().t().matmul(b.t().contiguous().t()) + bias),
            ("batched", a.unsqueeze(0).expand(3, m, k).bmm(b.unsqueeze(0).expand(3, k, n))[1] + bias),
        })
        {
            double error = (result.to(float64) - reference).abs().max().item<double>() / scale;
            Assert.True(error < 1e-5, $"{what} [{m}×{k}]·[{k}×{n}]: error {error:E2} of the scale; MKL dispatch: {MklCpuDispatch.Description}");
        }
    }
}
