using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tvp.Models.Classifiers;

/// <summary>
/// MobileNet-V2's inverted residual block (expansion 1×1 + ReLU6, depthwise 3×3 + ReLU6, projection 1×1, optional
/// residual) as one float32 pass over channels-last images, row by row: the expanded rows live in a ring of three
/// L2-resident rows and never reach main memory. Hand-written because no library call does this fusion: libtorch runs
/// each layer as its own kernel over the whole batch, and on the 2-core EPYC the thin expansion GEMMs (16→96 channels
/// at 112×112: 77 MB out at batch 16) are bound by memory bandwidth, not arithmetic (issue 12: MobileNet-V2 ran at
/// 0.72–0.76 of V1-0.75/192's speed per multiply-add with every layer already on oneDNN/MKL).
/// Layouts: images [N, H, W, C] contiguous; weights packed by <see cref="InvertedResidualWeights"/>. Channel blocks are
/// padded to 16 floats with zero weights, so padded expanded channels stay exactly zero.
/// </summary>
internal static unsafe partial class InvertedResidualKernel
{
    /// <summary>True when 512-bit vectors run in hardware (elsewhere the block runs on libtorch's kernels).</summary>
    public static bool Supported => Avx512F.IsSupported;

    /// <summary>Expanded rows up to this many bytes are computed in one product (small late-stage images); larger ones row by row.</summary>
    private const long WindowBytes = 768 * 1024;

    /// <summary>
    /// Output rows [<paramref name="rowStart"/>, <paramref name="rowEnd"/>) of image <paramref name="image"/>. With a graph,
    /// the two ReLU6 gradient masks ([0 &lt; v &lt; 6], one bit per channel, 16 per ushort) are written for the rows it computes:
    /// <paramref name="maskE"/> [N, H, W, Hidden16/16] (expanded rows; unused without expansion) and <paramref name="maskD"/>
    /// [N, H', W', Hidden16/16] (depthwise outputs). The backward needs nothing else (<see cref="BackwardRows"/>).
    /// </summary>
    public static void ForwardRows(InvertedResidualWeights p, InvertedResidualGeometry g, float* x, float* y, int image, int rowStart, int rowEnd,
        ushort* maskE = null, ushort* maskD = null)
    {
        int words = p.Hidden16 / 16;
        ushort* maskEImage = maskE is null || p.Expansion is null ? null : maskE + (long)image * g.Height * g.Width * words;
        ushort* maskDImage = maskD is null ? null : maskD + (long)image * g.OutHeight * g.OutWidth * words;
        int ch16 = p.Hidden16, wRow = g.Width * ch16;
        int first = Math.Max(0, rowStart * g.Stride - g.Top), last = Math.Min(g.Height - 1, (rowEnd - 1) * g.Stride - g.Top + 2);
        int needed = last - first + 1;
        bool window = (long)needed * wRow * sizeof(float) <= WindowBytes;
        int eRows = window ? needed : 3, dRows = window ? rowEnd - rowStart : 1;
        nuint bytes = (nuint)((long)(eRows + 1) * wRow + (long)dRows * g.OutWidth * (ch16 + p.Out16)) * sizeof(float);
        float* scratch = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        try
        {
            float* e = scratch, d = e + (long)eRows * wRow, proj = d + (long)dRows * g.OutWidth * ch16;
            float* zeroRow = proj + (long)dRows * g.OutWidth * p.Out16; // the zero padding above and below, as a row
            new Span<float>(zeroRow, wRow).Clear();
            float* xImage = x + (long)image * g.Height * g.Width * p.In;
            float* yImage = y + (long)image * g.OutHeight * g.OutWidth * p.Out;
            var rows = stackalloc float*[3];
            if (window)
            {
                // Every expanded row these output rows need, in one product; then every depthwise row; then one projection.
                e = Expand(p, xImage + (long)first * g.Width * p.In, needed * g.Width, e);
                if (maskEImage != null) InsideBits(e, (long)needed * g.Width * words, maskEImage + (long)first * g.Width * words);
                for (int r = rowStart; r < rowEnd; r++)
                {
                    for (int kh = 0; kh < 3; kh++)
                    {
                        int i = r * g.Stride - g.Top + kh;
                        rows[kh] = i < 0 || i >= g.Height ? zeroRow : e + (long)(i - first) * wRow;
                    }
                    DepthwiseRow(p, g, rows, d + (long)(r - rowStart) * g.OutWidth * ch16);
                    if (maskDImage != null) InsideBits(d + (long)(r - rowStart) * g.OutWidth * ch16, (long)g.OutWidth * words, maskDImage + (long)r * g.OutWidth * words);
                }
                Project(p, g, d, proj, xImage, yImage, rowStart, rowEnd);
                return;
            }
            // Row by row: the expanded rows live in a ring of three slots (each computed once).
            Span<int> tags = stackalloc int[3] { -1, -1, -1 };
            var slots = stackalloc float*[3];
            for (int r = rowStart; r < rowEnd; r++)
            {
                for (int kh = 0; kh < 3; kh++)
                {
                    int i = r * g.Stride - g.Top + kh;
                    if (i < 0 || i >= g.Height) { rows[kh] = zeroRow; continue; }
                    float* slot = e + (i % 3) * wRow;
                    if (tags[i % 3] != i)
                    {
                        slots[i % 3] = Expand(p, xImage + (long)i * g.Width * p.In, g.Width, slot);
                        if (maskEImage != null) InsideBits(slots[i % 3], (long)g.Width * words, maskEImage + (long)i * g.Width * words);
                        tags[i % 3] = i;
                    }
                    rows[kh] = slots[i % 3];
                }
                DepthwiseRow(p, g, rows, d);
                if (maskDImage != null) InsideBits(d, (long)g.OutWidth * words, maskDImage + (long)r * g.OutWidth * words);
                Project(p, g, d, proj, xImage, yImage, r, r + 1);
            }
        }
        finally { NativeMemory.AlignedFree(scratch); }
    }

    /// <summary>bits[j] = the 16 lanes of v[16j..16j+16) that lie strictly between 0 and 6 (ReLU6 passes their gradient).</summary>
    private static void InsideBits(float* v, long vectors, ushort* bits)
    {
        var six = Vector512.Create(6f);
        for (long j = 0; j < vectors; j++)
        {
            var value = Vector512.Load(v + j * 16);
            bits[j] = (ushort)Vector512.ExtractMostSignificantBits(Vector512.GreaterThan(value, Vector512<float>.Zero) & Vector512.LessThan(value, six));
        }
    }

    /// <summary>
    /// y rows [r0, r1) = d · Wp + bp (+ the input's pixels when residual). With a multiple of 16 output channels the product
    /// writes y directly; otherwise into <paramref name="proj"/> [(r1 − r0)·OutW, Out16], copied out without the padding.
    /// </summary>
    private static void Project(InvertedResidualWeights p, InvertedResidualGeometry g, float* d, float* proj, float* xImage, float* yImage, int r0, int r1)
    {
        int pixels = (r1 - r0) * g.OutWidth;
        float* yRows = yImage + (long)r0 * g.OutWidth * p.Out;
        float* xRows = g.Residual ? xImage + (long)r0 * g.Width * p.In : null; // residual: same size, In = Out
        if (p.Out == p.Out16)
        {
            Gemm<Identity>(d, p.Hidden16, pixels, p.Hidden, p.Projection, p.Out16, p.ProjectionBias, yRows, p.Out);
            if (xRows != null) Accumulate(yRows, xRows, (long)pixels * p.Out);
            return;
        }
        Gemm<Identity>(d, p.Hidden16, pixels, p.Hidden, p.Projection, p.Out16, p.ProjectionBias, proj, p.Out16);
        for (int c = 0; c < pixels; c++) StoreChannels(proj + (long)c * p.Out16, xRows is null ? null : xRows + (long)c * p.In, yRows + (long)c * p.Out, p.Out);
    }

    /// <summary>
    /// Expanded pixels [count, Hidden16] = ReLU6(x [count, In] · We + be), written to <paramref name="e"/>; without expansion the
    /// input itself: x's own rows when In is a multiple of 16 (returned, nothing copied), else a padded copy in e.
    /// </summary>
    private static float* Expand(InvertedResidualWeights p, float* xRow, int count, float* e)
    {
        if (p.Expansion is null && p.In == p.Hidden16) return xRow;
        if (p.Expansion is null)
        {
            for (int c = 0; c < count; c++)
            {
                float* dst = e + c * p.Hidden16;
                new ReadOnlySpan<float>(xRow + c * p.In, p.In).CopyTo(new Span<float>(dst, p.In));
                new Span<float>(dst + p.In, p.Hidden16 - p.In).Clear();
            }
            return e;
        }
        Gemm<ReLU6>(xRow, p.In, count, p.In, p.Expansion, p.Hidden16, p.ExpansionBias, e, p.Hidden16);
        return e;
    }

    /// <summary>d [OutW, Hidden16] = ReLU6(depthwise 3×3 over the three expanded rows + bd); rows above or below the image are a zero row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void DepthwiseRow(InvertedResidualWeights p, InvertedResidualGeometry g, float** rows, float* d)
    {
        int ch16 = p.Hidden16, s = g.Stride, w = g.Width;
        float* r0 = rows[0], r1 = rows[1], r2 = rows[2];
        for (int v = 0; v < ch16; v += 16)
        {
            float* k = p.Depthwise + v;
            var w00 = Vector512.Load(k); var w01 = Vector512.Load(k + ch16); var w02 = Vector512.Load(k + 2 * ch16);
            var w10 = Vector512.Load(k + 3 * ch16); var w11 = Vector512.Load(k + 4 * ch16); var w12 = Vector512.Load(k + 5 * ch16);
            var w20 = Vector512.Load(k + 6 * ch16); var w21 = Vector512.Load(k + 7 * ch16); var w22 = Vector512.Load(k + 8 * ch16);
            var bias = Vector512.Load(p.DepthwiseBias + v);
            // Interior columns, four at a time with two partial sums each: eight independent FMA chains instead of one
            // nine-deep chain per output (the latency, not the arithmetic, bounded the one-at-a-time loop).
            int span = w - 3 + g.Left;                                    // the last interior column c has c·s ≤ span
            int lo = (g.Left + s - 1) / s, hi = span < 0 ? 0 : Math.Min(g.OutWidth, span / s + 1);
            int c = 0;
            for (; c < lo; c++) DepthwiseColumn(p, g, rows, d, v, c);
            int step = s * ch16;
            for (; c + 4 <= hi; c += 4)
            {
                int o = (c * s - g.Left) * ch16 + v;
                Vector512<float> p0 = bias, p1 = bias, p2 = bias, p3 = bias, q0 = Vector512<float>.Zero, q1 = q0, q2 = q0, q3 = q0;
                p0 = Tap3(r0 + o, ch16, w00, w01, w02, p0); p1 = Tap3(r0 + o + step, ch16, w00, w01, w02, p1);
                p2 = Tap3(r0 + o + 2 * step, ch16, w00, w01, w02, p2); p3 = Tap3(r0 + o + 3 * step, ch16, w00, w01, w02, p3);
                q0 = Tap3(r1 + o, ch16, w10, w11, w12, q0); q1 = Tap3(r1 + o + step, ch16, w10, w11, w12, q1);
                q2 = Tap3(r1 + o + 2 * step, ch16, w10, w11, w12, q2); q3 = Tap3(r1 + o + 3 * step, ch16, w10, w11, w12, q3);
                p0 = Tap3(r2 + o, ch16, w20, w21, w22, p0); p1 = Tap3(r2 + o + step, ch16, w20, w21, w22, p1);
                p2 = Tap3(r2 + o + 2 * step, ch16, w20, w21, w22, p2); p3 = Tap3(r2 + o + 3 * step, ch16, w20, w21, w22, p3);
                float* dc = d + c * ch16 + v;
                Vector512.Store(ReLU6.Apply(p0 + q0), dc); Vector512.Store(ReLU6.Apply(p1 + q1), dc + ch16);
                Vector512.Store(ReLU6.Apply(p2 + q2), dc + 2 * ch16); Vector512.Store(ReLU6.Apply(p3 + q3), dc + 3 * ch16);
            }
            for (; c < hi; c++)
            {
                int o = (c * s - g.Left) * ch16 + v;
                var p0 = Tap3(r0 + o, ch16, w00, w01, w02, bias);
                var q0 = Tap3(r1 + o, ch16, w10, w11, w12, Vector512<float>.Zero);
                var u0 = Tap3(r2 + o, ch16, w20, w21, w22, Vector512<float>.Zero);
                Vector512.Store(ReLU6.Apply(p0 + q0 + u0), d + c * ch16 + v);
            }
            for (; c < g.OutWidth; c++) DepthwiseColumn(p, g, rows, d, v, c);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Tap3(float* e, int ch16, Vector512<float> w0, Vector512<float> w1, Vector512<float> w2, Vector512<float> acc)
    {
        acc = Fma(Vector512.Load(e), w0, acc);
        acc = Fma(Vector512.Load(e + ch16), w1, acc);
        return Fma(Vector512.Load(e + 2 * ch16), w2, acc);
    }

    /// <summary>One output column of <see cref="DepthwiseRow"/> at any position (the left and right borders).</summary>
    private static void DepthwiseColumn(InvertedResidualWeights p, InvertedResidualGeometry g, float** rows, float* d, int v, int c)
    {
        int ch16 = p.Hidden16, x0 = c * g.Stride - g.Left;
        var acc = Vector512.Load(p.DepthwiseBias + v);
        for (int kh = 0; kh < 3; kh++)
            for (int kw = 0; kw < 3; kw++)
            {
                int xi = x0 + kw;
                if (xi < 0 || xi >= g.Width) continue;
                acc = Fma(Vector512.Load(rows[kh] + xi * ch16 + v), Vector512.Load(p.Depthwise + (kh * 3 + kw) * ch16 + v), acc);
            }
        Vector512.Store(ReLU6.Apply(acc), d + c * ch16 + v);
    }

    /// <summary>dst[0..n) += src[0..n).</summary>
    private static void Accumulate(float* dst, float* src, long n)
    {
        long j = 0;
        for (; j + 16 <= n; j += 16) Vector512.Store(Vector512.Load(dst + j) + Vector512.Load(src + j), dst + j);
        for (; j < n; j++) dst[j] += src[j];
    }

    /// <summary>y[0..n) = proj[0..n) (+ residual[0..n)).</summary>
    private static void StoreChannels(float* proj, float* residual, float* y, int n)
    {
        int j = 0;
        for (; j + 16 <= n; j += 16)
        {
            var v = Vector512.Load(proj + j);
            if (residual != null) v += Vector512.Load(residual + j);
            Vector512.Store(v, y + j);
        }
        for (; j < n; j++) y[j] = proj[j] + (residual != null ? residual[j] : 0f);
    }

    /// <summary>
    /// c[M, n16] = act(a[M, K] (row stride lda) · b[K, n16] (row stride n16) + bias), n16 a multiple of 16. Blocks of 6 rows
    /// × 64 columns (24 accumulators). A last partial row block reads its final row again and stores the extra rows into
    /// a scratch tile. Each kernel is straight-line code without branches after its loop, and not inlined: given a
    /// branchy epilogue or a large caller, the JIT's register allocator spilled the accumulators to the stack inside the
    /// loop (seen in DOTNET_JitDisasm; 2–4× slower).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    internal static void Gemm<TAct>(float* a, int lda, int m, int k, float* b, int n16, float* bias, float* c, int ldc) where TAct : struct, IActivation
    {
        float* spare = stackalloc float[64 + 16];
        spare = (float*)(((nint)spare + 63) & ~(nint)63); // one 64-float row, 64-byte aligned
        for (int j = 0; j < n16;)
        {
            int left = (n16 - j) >> 4;
            int nv = left >= 4 ? 4 : left >= 2 ? 2 : 1;
            for (int i = 0; i < m; i += 6)
            {
                int last = Math.Min(6, m - i) - 1;
                float* a0 = a + (long)i * lda;
                float* a1 = a0 + Math.Min(1, last) * lda, a2 = a0 + Math.Min(2, last) * lda, a3 = a0 + Math.Min(3, last) * lda;
                float* a4 = a0 + Math.Min(4, last) * lda, a5 = a0 + Math.Min(5, last) * lda;
                float* c0 = c + (long)i * ldc + j;
                float* c1 = last >= 1 ? c0 + ldc : spare, c2 = last >= 2 ? c0 + 2 * ldc : spare, c3 = last >= 3 ? c0 + 3 * ldc : spare;
                float* c4 = last >= 4 ? c0 + 4 * ldc : spare, c5 = last >= 5 ? c0 + 5 * ldc : spare;
                if (nv == 4) Kernel6x4<TAct>(a0, a1, a2, a3, a4, a5, k, b + j, n16, bias + j, c0, c1, c2, c3, c4, c5);
                else if (nv == 2) Kernel6x2<TAct>(a0, a1, a2, a3, a4, a5, k, b + j, n16, bias + j, c0, c1, c2, c3, c4, c5);
                else Kernel6x1<TAct>(a0, a1, a2, a3, a4, a5, k, b + j, n16, bias + j, c0, c1, c2, c3, c4, c5);
            }
            j += nv * 16;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Fma(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Avx512F.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void Kernel6x4<TAct>(float* a0, float* a1, float* a2, float* a3, float* a4, float* a5, int k, float* b, int ldb, float* bias,
        float* c0, float* c1, float* c2, float* c3, float* c4, float* c5) where TAct : struct, IActivation
    {
        var z0 = Vector512.Load(bias + 0); var z1 = Vector512.Load(bias + 16); var z2 = Vector512.Load(bias + 32); var z3 = Vector512.Load(bias + 48);
        Vector512<float> c00 = z0, c01 = z1, c02 = z2, c03 = z3;
        Vector512<float> c10 = z0, c11 = z1, c12 = z2, c13 = z3;
        Vector512<float> c20 = z0, c21 = z1, c22 = z2, c23 = z3;
        Vector512<float> c30 = z0, c31 = z1, c32 = z2, c33 = z3;
        Vector512<float> c40 = z0, c41 = z1, c42 = z2, c43 = z3;
        Vector512<float> c50 = z0, c51 = z1, c52 = z2, c53 = z3;
        for (int p = 0; p < k; p++, b += ldb)
        {
            var b0 = Vector512.Load(b + 0); var b1 = Vector512.Load(b + 16); var b2 = Vector512.Load(b + 32); var b3 = Vector512.Load(b + 48);
            var x = Vector512.Create(a0[p]); c00 = Fma(x, b0, c00); c01 = Fma(x, b1, c01); c02 = Fma(x, b2, c02); c03 = Fma(x, b3, c03);
            x = Vector512.Create(a1[p]); c10 = Fma(x, b0, c10); c11 = Fma(x, b1, c11); c12 = Fma(x, b2, c12); c13 = Fma(x, b3, c13);
            x = Vector512.Create(a2[p]); c20 = Fma(x, b0, c20); c21 = Fma(x, b1, c21); c22 = Fma(x, b2, c22); c23 = Fma(x, b3, c23);
            x = Vector512.Create(a3[p]); c30 = Fma(x, b0, c30); c31 = Fma(x, b1, c31); c32 = Fma(x, b2, c32); c33 = Fma(x, b3, c33);
            x = Vector512.Create(a4[p]); c40 = Fma(x, b0, c40); c41 = Fma(x, b1, c41); c42 = Fma(x, b2, c42); c43 = Fma(x, b3, c43);
            x = Vector512.Create(a5[p]); c50 = Fma(x, b0, c50); c51 = Fma(x, b1, c51); c52 = Fma(x, b2, c52); c53 = Fma(x, b3, c53);
        }
        Vector512.Store(TAct.Apply(c00), c0 + 0); Vector512.Store(TAct.Apply(c01), c0 + 16); Vector512.Store(TAct.Apply(c02), c0 + 32); Vector512.Store(TAct.Apply(c03), c0 + 48);
        Vector512.Store(TAct.Apply(c10), c1 + 0); Vector512.Store(TAct.Apply(c11), c1 + 16); Vector512.Store(TAct.Apply(c12), c1 + 32); Vector512.Store(TAct.Apply(c13), c1 + 48);
        Vector512.Store(TAct.Apply(c20), c2 + 0); Vector512.Store(TAct.Apply(c21), c2 + 16); Vector512.Store(TAct.Apply(c22), c2 + 32); Vector512.Store(TAct.Apply(c23), c2 + 48);
        Vector512.Store(TAct.Apply(c30), c3 + 0); Vector512.Store(TAct.Apply(c31), c3 + 16); Vector512.Store(TAct.Apply(c32), c3 + 32); Vector512.Store(TAct.Apply(c33), c3 + 48);
        Vector512.Store(TAct.Apply(c40), c4 + 0); Vector512.Store(TAct.Apply(c41), c4 + 16); Vector512.Store(TAct.Apply(c42), c4 + 32); Vector512.Store(TAct.Apply(c43), c4 + 48);
        Vector512.Store(TAct.Apply(c50), c5 + 0); Vector512.Store(TAct.Apply(c51), c5 + 16); Vector512.Store(TAct.Apply(c52), c5 + 32); Vector512.Store(TAct.Apply(c53), c5 + 48);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void Kernel6x2<TAct>(float* a0, float* a1, float* a2, float* a3, float* a4, float* a5, int k, float* b, int ldb, float* bias,
        float* c0, float* c1, float* c2, float* c3, float* c4, float* c5) where TAct : struct, IActivation
    {
        var z0 = Vector512.Load(bias + 0); var z1 = Vector512.Load(bias + 16);
        Vector512<float> c00 = z0, c01 = z1;
        Vector512<float> c10 = z0, c11 = z1;
        Vector512<float> c20 = z0, c21 = z1;
        Vector512<float> c30 = z0, c31 = z1;
        Vector512<float> c40 = z0, c41 = z1;
        Vector512<float> c50 = z0, c51 = z1;
        for (int p = 0; p < k; p++, b += ldb)
        {
            var b0 = Vector512.Load(b + 0); var b1 = Vector512.Load(b + 16);
            var x = Vector512.Create(a0[p]); c00 = Fma(x, b0, c00); c01 = Fma(x, b1, c01);
            x = Vector512.Create(a1[p]); c10 = Fma(x, b0, c10); c11 = Fma(x, b1, c11);
            x = Vector512.Create(a2[p]); c20 = Fma(x, b0, c20); c21 = Fma(x, b1, c21);
            x = Vector512.Create(a3[p]); c30 = Fma(x, b0, c30); c31 = Fma(x, b1, c31);
            x = Vector512.Create(a4[p]); c40 = Fma(x, b0, c40); c41 = Fma(x, b1, c41);
            x = Vector512.Create(a5[p]); c50 = Fma(x, b0, c50); c51 = Fma(x, b1, c51);
        }
        Vector512.Store(TAct.Apply(c00), c0 + 0); Vector512.Store(TAct.Apply(c01), c0 + 16);
        Vector512.Store(TAct.Apply(c10), c1 + 0); Vector512.Store(TAct.Apply(c11), c1 + 16);
        Vector512.Store(TAct.Apply(c20), c2 + 0); Vector512.Store(TAct.Apply(c21), c2 + 16);
        Vector512.Store(TAct.Apply(c30), c3 + 0); Vector512.Store(TAct.Apply(c31), c3 + 16);
        Vector512.Store(TAct.Apply(c40), c4 + 0); Vector512.Store(TAct.Apply(c41), c4 + 16);
        Vector512.Store(TAct.Apply(c50), c5 + 0); Vector512.Store(TAct.Apply(c51), c5 + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void Kernel6x1<TAct>(float* a0, float* a1, float* a2, float* a3, float* a4, float* a5, int k, float* b, int ldb, float* bias,
        float* c0, float* c1, float* c2, float* c3, float* c4, float* c5) where TAct : struct, IActivation
    {
        var z0 = Vector512.Load(bias + 0);
        Vector512<float> c00 = z0;
        Vector512<float> c10 = z0;
        Vector512<float> c20 = z0;
        Vector512<float> c30 = z0;
        Vector512<float> c40 = z0;
        Vector512<float> c50 = z0;
        for (int p = 0; p < k; p++, b += ldb)
        {
            var b0 = Vector512.Load(b + 0);
            var x = Vector512.Create(a0[p]); c00 = Fma(x, b0, c00);
            x = Vector512.Create(a1[p]); c10 = Fma(x, b0, c10);
            x = Vector512.Create(a2[p]); c20 = Fma(x, b0, c20);
            x = Vector512.Create(a3[p]); c30 = Fma(x, b0, c30);
            x = Vector512.Create(a4[p]); c40 = Fma(x, b0, c40);
            x = Vector512.Create(a5[p]); c50 = Fma(x, b0, c50);
        }
        Vector512.Store(TAct.Apply(c00), c0 + 0);
        Vector512.Store(TAct.Apply(c10), c1 + 0);
        Vector512.Store(TAct.Apply(c20), c2 + 0);
        Vector512.Store(TAct.Apply(c30), c3 + 0);
        Vector512.Store(TAct.Apply(c40), c4 + 0);
        Vector512.Store(TAct.Apply(c50), c5 + 0);
    }
}

/// <summary>The element-wise map a <see cref="InvertedResidualKernel"/> GEMM applies to its results.</summary>
internal interface IActivation
{
    /// <summary>The map on 16 floats.</summary>
    static abstract Vector512<float> Apply(Vector512<float> v);
}

/// <summary>min(max(v, 0), 6); a NaN stays NaN, as in libtorch's <c>hardtanh</c> (vmaxps/vminps return their second operand on NaN).</summary>
internal readonly struct ReLU6 : IActivation
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Apply(Vector512<float> v) => Avx512F.Min(Vector512.Create(6f), Avx512F.Max(Vector512<float>.Zero, v));
}

/// <summary>No map (the linear bottleneck).</summary>
internal readonly struct Identity : IActivation
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Apply(Vector512<float> v) => v;
}
