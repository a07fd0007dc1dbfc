using static TorchSharp.torch;

namespace Tvp.Bench;

/// <summary>
/// <c>conv-grad</c>: float32 input gradients of 2-D convolutions (oneDNN) against float64 (libtorch's own kernels) for a few
/// shapes at 1 and 2 threads, repeated; on the build VM some shapes (3→4 and 96→24 channels, 3×3) come out wrong.
/// </summary>
public static class ConvGradientCheck
{
    public static int Run(string[] args)
    {
        var g = new Generator(1);
        var x0 = randn(new long[] { 2, 3, 8, 8 }, generator: g);
        var w1 = randn(new long[] { 4, 3, 3, 3 }, generator: g);
        var w2 = randn(new long[] { 5, 4, 1, 1 }, generator: g);
        var wt = randn(new long[] { 2, 5, 8, 8 }, generator: g);
        Tensor Grad(ScalarType dt)
        {
            var x = x0.to(dt).detach().clone().requires_grad_(true);
            var y = nn.functional.conv2d(nn.functional.relu(nn.functional.conv2d(x, w1.to(dt), padding: new long[] { 1, 1 })), w2.to(dt));
            (y * wt.to(dt)).sum().backward();
            return x.grad!.to(ScalarType.Float64);
        }
        foreach (var (ci, co, k, pad, st, sz) in new[] { (3, 4, 3, 1, 1, 8), (3, 8, 3, 1, 2, 128), (3, 16, 3, 1, 1, 32), (3, 24, 3, 1, 2, 192), (3, 32, 3, 1, 2, 224), (3, 64, 7, 3, 2, 224), (96, 24, 3, 1, 1, 16), (3, 4, 3, 1, 1, 32) })
            foreach (var th in new[] { 1, 2 })
            {
                set_num_threads(th);
                var xi = randn(new long[] { 2, ci, sz, sz }, generator: g);
                var wi = randn(new long[] { co, ci, k, k }, generator: g);
                Tensor G(ScalarType dt)
                {
                    var x = xi.to(dt).detach().clone().requires_grad_(true);
                    var y = nn.functional.conv2d(x, wi.to(dt), strides: new long[] { st, st }, padding: new long[] { pad, pad });
                    y.sum().backward();
                    return x.grad!.to(ScalarType.Float64);
                }
                var r64 = G(ScalarType.Float64);
                double e = 0;
                for (int i = 0; i < 5; i++) e = Math.Max(e, (G(ScalarType.Float32) - r64).abs().max().item<double>());
                Console.WriteLine($"conv {ci}->{co} {k}x{k} stride {st} at {sz}px, threads {th}: max grad-input error over 5 calls {e:E2} (|g| max {r64.abs().max().item<double>():F1})");
            }
        set_num_threads(2);
        var refg = Grad(ScalarType.Float64);
        Console.WriteLine($"float64 grad max |g| {refg.abs().max().item<double>():E3}");
        {
            var g32 = Grad(ScalarType.Float32);
            var diff = (g32 - refg).abs().flatten();
            long at = diff.argmax().item<long>();
            // central finite difference in float64 at that element
            double F(double eps)
            {
                using var noGrad = no_grad();
                var x = x0.to(ScalarType.Float64).clone().flatten();
                x[at] = x[at] + eps;
                var xx = x.view(2, 3, 8, 8);
                var y = nn.functional.conv2d(nn.functional.relu(nn.functional.conv2d(xx, w1.to(ScalarType.Float64), padding: new long[] { 1, 1 })), w2.to(ScalarType.Float64));
                return (y * wt.to(ScalarType.Float64)).sum().item<double>();
            }
            double fd = (F(1e-6) - F(-1e-6)) / 2e-6;
            Console.WriteLine($"element {at}: float32 grad {g32.flatten()[at].item<double>():F6}, float64 grad {refg.flatten()[at].item<double>():F6}, finite difference {fd:F6}");
        }
        foreach (var threads in new[] { 2, 1, 2, 1 })
        {
            set_num_threads(threads);
            for (int i = 0; i < 3; i++)
            {
                var d = (Grad(ScalarType.Float32) - refg).abs().max().item<double>();
                Console.WriteLine($"threads {threads} run {i}: max |float32 grad - float64 grad| = {d:E2}");
            }
        }
        // concurrent callers from several .NET threads, as in a parallel test run
        var errs = new System.Collections.Concurrent.ConcurrentBag<double>();
        System.Threading.Tasks.Parallel.For(0, 16, _ => { using var s = NewDisposeScope(); errs.Add((Grad(ScalarType.Float32) - refg).abs().max().item<double>()); });
        Console.WriteLine($"parallel callers: max error {errs.Max():E2}");
        return 0;
    }
}
