using static TorchSharp.torch;

namespace Tvp.Bench;

/// <summary>
/// The machine a benchmark ran on: CPU model (<c>/proc/cpuinfo</c>), logical cores, libtorch's thread count and the
/// load average (<c>/proc/loadavg</c>, 1/5/15 min) at the start and end, so figures from a shared machine say how
/// loaded it was, which of MKL's code paths libtorch's BLAS runs (<see cref="MklCpuDispatch"/>) and whether large
/// tensors reuse freed blocks (<see cref="TensorBlockCache"/>) and how long idle OpenMP workers spin (<see cref="OpenMpWaiting"/>).
/// </summary>
public sealed record Machine(string CpuModel, int LogicalCores, int TorchThreads, string LoadAverageStart, string? LoadAverageEnd = null, string Blas = "", string Memory = "", string Threads = "")
{
    /// <summary>The machine now.</summary>
    public static Machine Describe() => new(ReadCpuModel(), Environment.ProcessorCount, get_num_threads(), LoadAverage(),
        Blas: "MKL dispatch: " + MklCpuDispatch.Description, Memory: "tensor block cache: " + TensorBlockCache.Description, Threads: "OpenMP waiting: " + OpenMpWaiting.Description);

    /// <summary>The first three fields of /proc/loadavg ("unknown" where there is none).</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static string ReadCpuModel()
    {
        if (!File.Exists("/proc/cpuinfo")) return "unknown";
        var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
        return line is null ? "unknown" : line[(line.IndexOf(':') + 1)..].Trim();
    }
}
