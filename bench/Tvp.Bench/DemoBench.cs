using System.Diagnostics;
using Tvp.Demo.Zoo;
using static TorchSharp.torch;

namespace Tvp.Bench;

/// <summary>Shared-encoder (ResNet-18 ONNX) images/s at several resolutions: forward (no grad) and forward+backward to the pixels.</summary>
internal static class DemoBench
{
    public static int Run(string[] args)
    {
        int batch = args.Length > 0 ? int.Parse(args[0]) : 32;
        int threads = args.Length > 1 ? int.Parse(args[1]) : 0;
        if (threads > 0) set_num_threads(threads);
        Console.WriteLine($"threads {get_num_threads()}, batch {batch}");
        // Not 112: the featurizer's stride-2 3×3 convolutions carry fixed asymmetric pads (total 1) from their export, so an
        // odd 7×7 input to the last stage gives 3×3 on the main branch and 4×4 on the 1×1 shortcut, and the Add fails.
        var sizes = args.Length > 2 ? args[2..].Select(int.Parse).ToArray() : new[] { 64, 96, 128 };
        foreach (var res in sizes)
        {
            using var enc = new SharedEncoder(res, CPU);
            using var x = rand(batch, 3, res, res);
            using (no_grad()) { using var w = enc.Pooled(x); }
            var proc = Process.GetCurrentProcess();
            var sw = Stopwatch.StartNew();
            var cpu0 = proc.TotalProcessorTime;
            int reps = 3;
            for (int i = 0; i < reps; i++) using (no_grad()) { enc.Forget(); using var f = enc.Pooled(x); }
            double fwd = reps * batch / sw.Elapsed.TotalSeconds;
            proc.Refresh();
            double fwdCpu = (proc.TotalProcessorTime - cpu0).TotalMilliseconds / (reps * batch);
            sw.Restart();
            cpu0 = proc.TotalProcessorTime;
            for (int i = 0; i < reps; i++)
            {
                using var scope = NewDisposeScope();
                enc.Forget();
                var p = x.detach().clone().requires_grad_(true);
                enc.Pooled(p).sum().backward();
            }
            double bwd = reps * batch / sw.Elapsed.TotalSeconds;
            proc.Refresh();
            double bwdCpu = (proc.TotalProcessorTime - cpu0).TotalMilliseconds / (reps * batch);
            using var same = x.to(CPU);
            Console.WriteLine($"res {res}: forward {fwd:F1} img/s ({fwdCpu:F1} CPU-ms/img), forward+backward {bwd:F1} img/s ({bwdCpu:F1} CPU-ms/img); x.to(CPU) same object: {ReferenceEquals(same, x)}");
        }
        return 0;
    }
}
