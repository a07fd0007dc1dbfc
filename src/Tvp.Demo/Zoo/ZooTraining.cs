using TorchSharp;
using static TorchSharp.torch;
using Tvp.Models;
using Tvp.Experiments;

namespace Tvp.Demo.Zoo;

/// <summary>
/// Trains the zoo: heads on cached encoder maps of clean canvases, the small CNN on the clean canvases themselves.
/// Adam, seeded; the last 10% of a seeded permutation is held out and its top-1 reported (clean accuracy).
/// </summary>
internal static class ZooTraining
{
    /// <summary>Training and held-out rows of <paramref name="n"/> (seeded permutation, 10% held out).</summary>
    public static (long[] Train, long[] Holdout) Split(long n, int seed)
    {
        var order = Enumerable.Range(0, (int)n).Select(i => (long)i).ToArray();
        new Random(seed).Shuffle(order);
        int hold = Math.Max(1, (int)(n / 10));
        return (order[hold..], order[..hold]);
    }

    /// <summary>Trains a head of <paramref name="kind"/> on maps [N,512,h,w] with labels [N]; returns it and its held-out top-1.</summary>
    public static (ZooHead Head, double HoldoutTop1) TrainHead(string kind, Tensor spatial, Tensor labels, int classes, int seed,
        int epochs = 30, IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        torch.manual_seed(seed);
        var head = ZooHead.Create(kind, (int)spatial.shape[1], classes);
        var (train, hold) = Split(spatial.shape[0], seed);
        using (var scope = NewDisposeScope())
        {
            using var rows = tensor(train);
            var pooled = spatial.index_select(0, rows).mean(new long[] { 2, 3 });   // [n, 512]
            head.SetStandardisation(pooled.mean(new long[] { 0 }), pooled.std(0));
        }
        head.train();
        using var opt = optim.Adam(head.parameters(), lr: 1e-3, weight_decay: 1e-4);
        Fit(train, 128, epochs, seed, rows =>
        {
            using var idx = tensor(rows);
            using var x = spatial.index_select(0, idx);
            using var y = labels.index_select(0, idx);
            var (logits, connector) = head.Forward(x);
            using (connector)
            using (logits)
            {
                using var loss = nn.functional.cross_entropy(logits, y);
                opt.zero_grad();
                loss.backward();
                opt.step();
            }
        }, progress, cancel);
        head.eval();
        double acc = Accuracy(hold, labels, x => { var (l, c) = head.Forward(x); c.Dispose(); return l; }, spatial);
        return (head, acc);
    }

    /// <summary>Trains the small CNN on prepared inputs [N,3,32,32] for <paramref name="epochs"/> epochs but at least 400 steps; returns it and its held-out top-1.</summary>
    public static (SmallCnn Network, double HoldoutTop1) TrainCnn(Tensor inputs, Tensor labels, int classes, int seed,
        int epochs = 4, IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        torch.manual_seed(seed);
        var net = new SmallCnn(classes);
        var (train, hold) = Split(inputs.shape[0], seed);
        epochs = CnnEpochs(train.Length, epochs);
        net.train();
        using var opt = optim.Adam(net.parameters(), lr: 2e-3);
        Fit(train, 64, epochs, seed, rows =>
        {
            using var scope = NewDisposeScope();
            var idx = tensor(rows);
            var x = inputs.index_select(0, idx);
            var y = labels.index_select(0, idx);
            var (logits, _) = net.Forward(x);
            var loss = nn.functional.cross_entropy(logits, y);
            opt.zero_grad();
            loss.backward();
            opt.step();
        }, progress, cancel);
        net.eval();
        double acc = Accuracy(hold, labels, x => { var (l, f) = net.Forward(x); f.Dispose(); return l; }, inputs);
        return (net, acc);
    }

    /// <summary>The CNN's epochs for <paramref name="trainRows"/> rows: at least <paramref name="epochs"/>, and at least 400 steps of 64.</summary>
    public static int CnnEpochs(int trainRows, int epochs) => Math.Max(epochs, (int)Math.Ceiling(400.0 / Math.Ceiling(trainRows / 64.0)));

    private static void Fit(long[] train, int batch, int epochs, int seed, Action<long[]> step, IProgress<int>? progress, CancellationToken cancel)
    {
        int done = 0;
        for (int e = 0; e < epochs; e++)
        {
            var order = (long[])train.Clone();
            new Random(seed * 31 + e).Shuffle(order);
            foreach (var rows in order.Chunk(batch))
            {
                cancel.ThrowIfCancellationRequested();
                step(rows);
            }
            progress?.Report(++done);
        }
    }

    private static double Accuracy(long[] rows, Tensor labels, Func<Tensor, Tensor> logitsOf, Tensor inputs)
    {
        long correct = 0;
        using var _ = no_grad();
        foreach (var chunk in rows.Chunk(256))
        {
            using var scope = NewDisposeScope();
            var idx = tensor(chunk);
            var pred = logitsOf(inputs.index_select(0, idx)).argmax(1);
            correct += pred.eq(labels.index_select(0, idx)).sum().item<long>();
        }
        return (double)correct / rows.Length;
    }
}
