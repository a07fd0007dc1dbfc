using System.Diagnostics;
using Tvp.Models;
using static TorchSharp.torch;

namespace Tvp.Bench;

/// <summary>
/// <c>per-mac [ROUNDS] [BATCH]</c>: MobileNet-V2 1.0/224 against MobileNet-V1 0.75/192 per published multiply-add (300 M vs 233 M),
/// forward (no graph) and forward+backward-to-pixels, batch 16 unless given. The two networks run alternately, one call each per
/// round, and the ratio (V2 images/s × 300 M) / (V1 images/s × 233 M) is taken per round: on a shared VM whose speed
/// drifts by up to 1.5× within minutes, only ratios of neighbouring calls are stable. Reports the median and the
/// quartiles over the rounds (after 3 warm-up rounds: oneDNN builds its kernels over the first calls).
/// </summary>
public static class PerMacBench
{
    public static int Run(string[] args)
    {
        int rounds = args.Length > 0 ? int.Parse(args[0]) : 15;
        int batch = args.Length > 1 ? int.Parse(args[1]) : 16;
        var (fwd, fwdBwd) = Measure(rounds, Console.WriteLine, batch);
        Console.WriteLine($"MobileNet-V2 / V1-0.75/192 per multiply-add over {rounds} rounds at batch {batch}: forward {fwd.Format()}, forward+backward {fwdBwd.Format()} (median [quartiles])");
        return 0;
    }

    /// <summary>Forward and forward+backward ratios over <paramref name="rounds"/> alternating rounds.</summary>
    public static (RoundRatio Forward, RoundRatio ForwardBackward) Measure(int rounds, Action<string> log, int batch = 16)
    {
        var nets = new (string Name, double Macs)[] { ("mobilenet_v2_1.0_224", 300e6), ("mobilenet_v1_0.75_192", 233e6) };
        var task = SyntheticTask.Batch(batch);
        var models = nets.Select(n => ModelRegistry.Load(n.Name, CPU)).ToArray();
        try
        {
            foreach (var m in models) SyntheticTask.MapLabels(m);
            var images = models.Select(m => { int s = m.Info.InputSize ?? 224; return rand(new long[] { batch, 3, s, s }, generator: new Generator(1)); }).ToArray();
            var forward = new List<double>(); var forwardBackward = new List<double>();
            for (int r = 0; r < rounds + 3; r++)
            {
                var seconds = new double[2, 2]; // [network, forward | forward+backward]
                for (int i = 0; i < 2; i++)
                {
                    var sw = Stopwatch.StartNew();
                    using (var s = NewDisposeScope()) using (no_grad()) models[i].Score(images[i], task);
                    seconds[i, 0] = sw.Elapsed.TotalSeconds;
                    sw.Restart();
                    using (var s = NewDisposeScope())
                    {
                        var delta = zeros(new long[] { 1, 3, images[i].shape[2], images[i].shape[3] }, requires_grad: true);
                        models[i].TaskLoss(images[i] + delta, task).backward();
                    }
                    seconds[i, 1] = sw.Elapsed.TotalSeconds;
                }
                if (r < 3) continue;
                double PerMac(int k) => nets[0].Macs / seconds[0, k] / (nets[1].Macs / seconds[1, k]);
                forward.Add(PerMac(0)); forwardBackward.Add(PerMac(1));
                log($"  round {r - 2}: V2 {batch / seconds[0, 0]:F1} / {batch / seconds[0, 1]:F1} img/s, V1 {batch / seconds[1, 0]:F1} / {batch / seconds[1, 1]:F1} img/s (forward / forward+backward)");
            }
            foreach (var t in images) t.Dispose();
            return (RoundRatio.Of(forward), RoundRatio.Of(forwardBackward));
        }
        finally { foreach (var m in models) m.Dispose(); }
    }
}
