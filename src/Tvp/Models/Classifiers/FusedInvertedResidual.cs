using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Tvp.Models.Classifiers;

/// <summary>
/// Runs <see cref="InvertedResidualKernel"/> on TorchSharp tensors: without a graph directly, with one through an autograd
/// node whose backward computes the input gradient with the fused backward kernel (the block's weights are frozen).
/// </summary>
internal static unsafe class FusedInvertedResidual
{
    /// <summary>False with <c>TVP_FUSED_BLOCKS=0</c>: every block then runs on libtorch's kernels (settable for benchmarks and tests).</summary>
    public static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("TVP_FUSED_BLOCKS") != "0";

    private static long _forwards, _backwards;

    /// <summary>Fused forwards run in this process (tests check that the fused path, not the fallback, ran).</summary>
    public static long Forwards => Interlocked.Read(ref _forwards);

    /// <summary>Fused input-gradient computations run in this process.</summary>
    public static long Backwards => Interlocked.Read(ref _backwards);

    /// <summary>x [N, In, H, W] channels-last float32 on the CPU → [N, Out, H', W'] channels-last.</summary>
    public static Tensor Forward(InvertedResidualWeights p, Tensor x, int stride, PaddingRule rule, bool residual)
    {
        Interlocked.Increment(ref _forwards);
        var g = InvertedResidualGeometry.Of((int)x.shape[2], (int)x.shape[3], stride, rule, residual);
        if (is_grad_enabled() && x.requires_grad) return Node.apply(x, p, g);
        return Run(p, g, x);
    }

    private static Tensor Run(InvertedResidualWeights p, InvertedResidualGeometry g, Tensor x, Tensor? maskE = null, Tensor? maskD = null)
    {
        int n = (int)x.shape[0];
        ushort* me = maskE is null ? null : (ushort*)TensorAddress.Of(maskE), md = maskD is null ? null : (ushort*)TensorAddress.Of(maskD);
        var y = empty(new long[] { n, g.OutHeight, g.OutWidth, p.Out }, dtype: ScalarType.Float32); // [N, H', W', Out]
        float* xp = (float*)TensorAddress.Of(x), yp = (float*)TensorAddress.Of(y);
        // Images × row parts: at least one work item per core even at batch 1.
        int threads = get_num_threads();
        int parts = Math.Max(1, Math.Min(g.OutHeight, (threads + n - 1) / n));
        Parallel.For(0, n * parts, Threads(), item =>
        {
            int image = item / parts, part = item % parts;
            InvertedResidualKernel.ForwardRows(p, g, xp, yp, image, g.OutHeight * part / parts, g.OutHeight * (part + 1) / parts, me, md);
        });
        using (y) return y.permute(0, 3, 1, 2);                                                // [N, Out, H', W'], channels-last strides
    }

    /// <summary>As many workers as libtorch uses (<c>torch.set_num_threads</c> bounds tvp's kernels too).</summary>
    private static ParallelOptions Threads() => new() { MaxDegreeOfParallelism = Math.Max(1, get_num_threads()) };

    /// <summary>The autograd node: keeps the two ReLU6 masks (bits) for its backward, nothing else.</summary>
    private sealed class Node : SingleTensorFunction<Node>
    {
        private const string WeightsKey = "weights", GeometryKey = "geometry";

        public override string Name => "FusedInvertedResidual";

        public override Tensor forward(AutogradContext ctx, params object[] vars)
        {
            var x = (Tensor)vars[0];
            var p = (InvertedResidualWeights)vars[1];
            var g = (InvertedResidualGeometry)vars[2];
            long n = x.shape[0], words = p.Hidden16 / 16;
            // int16 storage for ushort bit words: [N, H, W, Hidden16/16] and [N, H', W', Hidden16/16]
            var maskE = empty(new long[] { n, p.ExpansionT is null ? 0 : g.Height, g.Width, words }, dtype: ScalarType.Int16);
            var maskD = empty(new long[] { n, g.OutHeight, g.OutWidth, words }, dtype: ScalarType.Int16);
            ctx.save_for_backward([maskE, maskD]);
            ctx.save_data(WeightsKey, p);
            ctx.save_data(GeometryKey, g);
            return Run(p, g, x, maskE, maskD);
        }

        public override List<Tensor> backward(AutogradContext ctx, Tensor gradOutput)
        {
            var p = (InvertedResidualWeights)ctx.get_data(WeightsKey);
            var g = (InvertedResidualGeometry)ctx.get_data(GeometryKey);
            Interlocked.Increment(ref _backwards);
            var saved = ctx.get_saved_variables();
            Tensor maskE = saved[0], maskD = saved[1];
            int n = (int)maskD.shape[0];
            using var gyView = gradOutput.permute(0, 2, 3, 1);                                 // [N, H', W', Out]
            using var gy = gyView.contiguous();
            var gx = zeros(new long[] { n, g.Height, g.Width, p.In }, dtype: ScalarType.Float32); // [N, H, W, In]; rows no output reads stay 0
            float* gyp = (float*)TensorAddress.Of(gy), gxp = (float*)TensorAddress.Of(gx);
            ushort* me = (ushort*)TensorAddress.Of(maskE), md = (ushort*)TensorAddress.Of(maskD);
            // Images × row parts, as in the forward: with fewer images than workers each image is split into parts of at
            // least two output rows (so that a part's two seams do not overlap); the seam rows both neighbours add to are
            // summed and finished after the parts.
            int threads = get_num_threads();
            int parts = Math.Max(1, Math.Min(g.OutHeight / 2, (threads + n - 1) / n));
            long seamFloats = (long)(3 - g.Stride) * g.Width * p.Hidden16;                    // [≤ 3 − s rows, W, Hidden16]
            float* seams = parts > 1 ? (float*)NativeMemory.AlignedAlloc((nuint)(n * (parts - 1) * 2 * seamFloats * sizeof(float)), 64) : null;
            try
            {
                float* Seam(int image, int boundary, int side) => seams + ((long)(image * (parts - 1) + boundary - 1) * 2 + side) * seamFloats;
                int Row(int part) => g.OutHeight * part / parts;
                Parallel.For(0, n * parts, Threads(), item =>
                {
                    int image = item / parts, part = item % parts;
                    InvertedResidualKernel.BackwardRows(p, g, gyp, gxp, me, md, image, Row(part), Row(part + 1),
                        part > 0 ? Seam(image, part, 1) : null, part < parts - 1 ? Seam(image, part + 1, 0) : null);
                    if (g.Residual && parts == 1) InvertedResidualKernel.AddResidual(p, g, gyp, gxp, image); // while the image is in cache
                });
                for (int image = 0; image < n; image++)
                    for (int b = 1; b < parts; b++)
                        InvertedResidualKernel.FinishSeam(p, g, gxp, me, image, Row(b), Seam(image, b, 0), Seam(image, b, 1));
                if (g.Residual && parts > 1) Parallel.For(0, n, Threads(), image => InvertedResidualKernel.AddResidual(p, g, gyp, gxp, image));
            }
            finally { if (seams != null) NativeMemory.AlignedFree(seams); }
            using (gx) return [gx.permute(0, 3, 1, 2), null!, null!];                         // [N, In, H, W], channels-last strides
        }
    }
}
