using System.Diagnostics;
using Tvp.Models;
using Tvp.Models.Classifiers;
using static TorchSharp.torch;

namespace Tvp.Bench;

/// <summary>
/// <c>fused-blocks [ROUNDS] [BATCH]</c>: MobileNet-V2 with its inverted residual blocks fused (<see cref="FusedInvertedResidual"/>)
/// against the same network on libtorch's layers, forward (no graph) and forward+backward-to-pixels, alternating in one
/// process: each round times one call of each, the speed-up is taken per round and reported as median [quartiles]. Also
/// checks the task scores of the two paths (exit 1 beyond 1e-4 of their scale). The OpenMP spin setting cannot change inside a
/// process; compare <c>TVP_OMP_SPIN=0</c> in separate runs.
/// </summary>
public static class FusedBlocksBench
{
    public static int Run(string[] args)
    {
        int rounds = args.Length > 0 ? int.Parse(args[0]) : 15;
        int batch = args.Length > 1 ? int.Parse(args[1]) : 16;
        if (!InvertedResidualKernel.Supported) { Console.WriteLine("fused-blocks: this CPU has no AVX-512F; MobileNet-V2 runs on libtorch's layers only"); return 0; }
        Console.WriteLine($"fused-blocks: {Machine.Describe().CpuModel}, torch threads {get_num_threads()}, load average {Machine.LoadAverage()}; {OpenMpWaiting.Description}");
        var task = SyntheticTask.Batch(batch);
        using var model = ModelRegistry.Load("mobilenet_v2_1.0_224", CPU);
        SyntheticTask.MapLabels(model);
        using var images = rand(new long[] { batch, 3, 224, 224 }, generator: new Generator(1));
        bool previous = FusedInvertedResidual.Enabled;
        try
        {
            Tensor Logits(bool fused) { FusedInvertedResidual.Enabled = fused; using (no_grad()) return model.Score(images, task); }
            using (var a = Logits(true)) using (var b = Logits(false))
            {
                double diff = (a - b).abs().max().item<float>() / b.abs().max().item<float>();
                Console.WriteLine($"task scores (log-probabilities) fused vs libtorch: max difference {diff:E2} of their scale");
                if (diff > 1e-4) { Console.Error.WriteLine("fused-blocks: the fused logits differ from libtorch's"); return 1; }
            }
            var ms = new List<double>[4].Select(_ => new List<double>()).ToArray(); // [fused fwd, libtorch fwd, fused fwd+bwd, libtorch fwd+bwd]
            for (int r = 0; r < rounds + 3; r++)
                for (int k = 0; k < 2; k++)
                {
                    FusedInvertedResidual.Enabled = k == 0;
                    var sw = Stopwatch.StartNew();
                    using (var s = NewDisposeScope()) using (no_grad()) model.Score(images, task);
                    double forward = sw.Elapsed.TotalMilliseconds;
                    sw.Restart();
                    using (var s = NewDisposeScope())
                    {
                        var delta = zeros(new long[] { 1, 3, 224, 224 }, requires_grad: true);
                        model.TaskLoss(images + delta, task).backward();
                    }
                    double forwardBackward = sw.Elapsed.TotalMilliseconds;
                    if (r < 3) continue; // oneDNN and the JIT settle over the first calls
                    ms[k].Add(forward); ms[2 + k].Add(forwardBackward);
                }
            static double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
            var fwd = RoundRatio.Of(ms[1].Zip(ms[0], (t, f) => t / f));
            var fb = RoundRatio.Of(ms[3].Zip(ms[2], (t, f) => t / f));
            Console.WriteLine($"batch {batch}, {rounds} rounds, median ms: forward fused {Median(ms[0]):F1} / libtorch {Median(ms[1]):F1}, "
                + $"forward+backward fused {Median(ms[2]):F1} / libtorch {Median(ms[3]):F1}");
            Console.WriteLine($"speed-up of the fused blocks (per round, median [quartiles]): forward {fwd.Format()}, forward+backward {fb.Format()}");
            return 0;
        }
        finally { FusedInvertedResidual.Enabled = previous; }
    }
}
