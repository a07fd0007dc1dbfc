using System.Diagnostics;
using Tvp.Models;
using Tvp.Models.Classifiers;
using static TorchSharp.torch;

namespace Tvp.Bench;

/// <summary>
/// <c>layouts [REPS]</c>: the classifiers' forward and forward+backward-to-pixels images/s with activations NCHW
/// (<c>Never</c>), each network's own channels-last use (<c>own</c>) and channels-last throughout (<c>Always</c>);
/// the best of REPS interleaved runs (batch 16 at 224/192 px, 64 at 32 px). The evidence behind
/// <see cref="Tvp.Models.Classifiers.ChannelsLastUse"/> choices.
/// </summary>
public static class LayoutBench
{
    public static int Run(string[] args)
    {
        int reps = args.Length > 0 ? int.Parse(args[0]) : 5;
        foreach (var name in new[] { "mobilenet_v2_1.0_224", "mobilenet_v1_0.75_192", "cifar10-resnet20" })
        {
            using var model = ModelRegistry.Load(name, CPU);
            SyntheticTask.MapLabels(model);
            int size = model.Info.InputSize ?? 224; int n = size <= 64 ? 64 : 16;
            var batch = SyntheticTask.Batch(n);
            using var images = rand(new long[] { n, 3, size, size }, generator: new Generator(1));
            var best = new Dictionary<string, double>();
            for (int r = 0; r < reps; r++)
                foreach (var cl in new ChannelsLastUse?[] { ChannelsLastUse.Never, null, ChannelsLastUse.Always })
                {
                    ChannelsLast.Override = cl;
                    var sw = Stopwatch.StartNew();
                    using (var s = NewDisposeScope()) using (no_grad()) model.Score(images, batch);
                    Upd(best, $"fwd {cl?.ToString() ?? "own"}", sw.Elapsed.TotalSeconds);
                    sw.Restart();
                    using (var s = NewDisposeScope())
                    {
                        var d = zeros(new long[] { 1, 3, size, size }, requires_grad: true);
                        model.TaskLoss(images + d, batch).backward();
                    }
                    Upd(best, $"fwdbwd {cl?.ToString() ?? "own"}", sw.Elapsed.TotalSeconds);
                }
            foreach (var (k, v) in best) Console.WriteLine($"{name} {k}: {n / v:F1} img/s");
        }
        return 0;
    }

    private static void Upd(Dictionary<string, double> d, string k, double v) => d[k] = d.TryGetValue(k, out var o) ? Math.Min(o, v) : v;
}
