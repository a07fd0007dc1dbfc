using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tvp.Models.Classifiers;

/// <summary>
/// The input gradient of the fused inverted residual (weights frozen): gD = (gY · Wpᵀ) ⊙ [0 &lt; D &lt; 6],
/// gE = depthwiseᵀ(gD) ⊙ [0 &lt; E &lt; 6], gX = gE · Weᵀ (+ gY with the residual). Only the two ReLU6 masks are kept from
/// the forward, one bit per value (1/32 of the activations libtorch's autograd saves); E and D themselves are not needed.
/// </summary>
internal static unsafe partial class InvertedResidualKernel
{
    /// <summary>The expanded-row gradients of one backward band stay under this many bytes.</summary>
    private const long BackwardWindowBytes = 384 * 1024;

    /// <summary>Lane i holds 1 &lt;&lt; i (turns 16 mask bits back into lanes).</summary>
    private static readonly Vector512<int> LaneBits = Vector512.Create(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768);

    /// <summary>
    /// The expanded rows that the depthwise taps of output rows on both sides of <paramref name="boundary"/> (the first output
    /// row of a later part of an image) reach: each side adds part of their gradient. (First row, count.)
    /// </summary>
    public static (int First, int Count) Seam(InvertedResidualGeometry g, int boundary)
    {
        int first = boundary * g.Stride - g.Top, last = Math.Min(g.Height - 1, (boundary - 1) * g.Stride - g.Top + 2);
        return (first, Math.Max(0, last - first + 1));
    }

    /// <summary>
    /// gx rows of image <paramref name="image"/> from gy rows [<paramref name="rowStart"/>, <paramref name="rowEnd"/>) and the
    /// forward's ReLU6 masks (<see cref="ForwardRows"/>): gD = (gY · Wpᵀ) ⊙ maskD, gE = depthwiseᵀ(gD) ⊙ maskE, gX = gE · Weᵀ,
    /// a band of output rows at a time; gradient rows shared with the next band are carried over, not recomputed. gx must be
    /// zero beforehand (rows no output reads stay so); the residual's + gY is <see cref="AddResidual"/>. When the image is
    /// split into parts, this part's unmasked share of the seam rows at its start goes to <paramref name="seamBefore"/> and
    /// of those at its end to <paramref name="seamAfter"/> ([Seam.Count, W, Hidden16] each), for <see cref="FinishSeam"/>.
    /// </summary>
    public static void BackwardRows(InvertedResidualWeights p, InvertedResidualGeometry g, float* gy, float* gx, ushort* maskE, ushort* maskD,
        int image, int rowStart, int rowEnd, float* seamBefore = null, float* seamAfter = null)
    {
        int ch16 = p.Hidden16, words = ch16 / 16, wRow = g.Width * ch16, s = g.Stride, outRow = g.OutWidth * ch16;
        int band = (int)Math.Clamp((BackwardWindowBytes / ((long)wRow * sizeof(float)) - 3) / s + 1, 1, rowEnd - rowStart);
        int maxE = s * (band - 1) + 3;
        long eFloats = (long)maxE * wRow, dFloats = (long)band * outRow, gxFloats = (long)maxE * g.Width * p.In16;
        var (seamFirst, seamCount) = rowStart == 0 ? (0, 0) : Seam(g, rowStart);
        int owned = seamFirst + seamCount;                                                 // rows before it belong to the seam
        float* scratch = (float*)NativeMemory.AlignedAlloc((nuint)((eFloats + dFloats + gxFloats) * sizeof(float)), 64);
        try
        {
            float* ge = scratch, gd = ge + eFloats, gxBand = gd + dFloats;
            float* gyImage = gy + (long)image * g.OutHeight * g.OutWidth * p.Out;
            float* gxImage = gx + (long)image * g.Height * g.Width * p.In;
            ushort* maskEImage = maskE + (long)image * g.Height * g.Width * words;
            ushort* maskDImage = maskD + (long)image * g.OutHeight * g.OutWidth * words;
            int carried = 0;                                                                // gradient rows handed on from the previous band
            for (int r0 = rowStart; r0 < rowEnd; r0 += band)
            {
                int r1 = Math.Min(rowEnd, r0 + band);
                int first = Math.Max(0, r0 * s - g.Top), last = Math.Min(g.Height - 1, (r1 - 1) * s - g.Top + 2);
                int count = last - first + 1;
                // gD = (gY · Wpᵀ) ⊙ maskD
                int pixels = (r1 - r0) * g.OutWidth;
                Gemm<Identity>(gyImage + (long)r0 * g.OutWidth * p.Out, p.Out, pixels, p.Out, p.ProjectionT, ch16, p.Zeros, gd, ch16);
                KeepBits(gd, (long)pixels * words, maskDImage + (long)r0 * g.OutWidth * words);
                // gE rows [first, last]: the carried rows (already in place at the start), zeros after them, then every
                // output row's depthwise taps gathered in.
                new Span<float>(ge + (long)carried * wRow, checked((count - carried) * wRow)).Clear();
                for (int r = r0; r < r1; r++)
                    for (int kh = 0; kh < 3; kh++)
                    {
                        int i = r * s - g.Top + kh;
                        if (i < 0 || i >= g.Height) continue;
                        DepthwiseTransposedRow(p, g, gd + (long)(r - r0) * outRow, kh, ge + (long)(i - first) * wRow);
                    }
                // Rows no later band touches are final: seam rows go out as they are, the rest are masked and multiplied by
                // Weᵀ into gx. The rows a later band still adds to move to the front.
                int final = r1 == g.OutHeight ? last : Math.Min(last, r1 * s - g.Top - 1);
                int done = Math.Max(final - first + 1, 0);
                int toSeam = Math.Clamp(owned - first, 0, done);
                if (toSeam > 0) Buffer.MemoryCopy(ge, seamBefore + (long)(first - seamFirst) * wRow, (long)toSeam * wRow * sizeof(float), (long)toSeam * wRow * sizeof(float));
                if (done > toSeam)
                    FinishRows(p, g, ge + (long)toSeam * wRow, maskEImage + (long)(first + toSeam) * g.Width * words, done - toSeam, gxBand,
                        gxImage + (long)(first + toSeam) * g.Width * p.In);
                carried = count - done;
                if (carried > 0) Buffer.MemoryCopy(ge + (long)done * wRow, ge, eFloats * sizeof(float), (long)carried * wRow * sizeof(float));
            }
            if (carried > 0) // the seam with the next part (rowEnd < H'): exactly its rows
                Buffer.MemoryCopy(ge, seamAfter, (long)carried * wRow * sizeof(float), (long)carried * wRow * sizeof(float));
        }
        finally { NativeMemory.AlignedFree(scratch); }
    }

    /// <summary>gx seam rows = (before + after) ⊙ maskE · Weᵀ: the two parts' shares of the rows at <paramref name="boundary"/>.</summary>
    public static void FinishSeam(InvertedResidualWeights p, InvertedResidualGeometry g, float* gx, ushort* maskE, int image, int boundary, float* after, float* before)
    {
        var (first, count) = Seam(g, boundary);
        if (count == 0) return;
        Accumulate(after, before, (long)count * g.Width * p.Hidden16);
        // FinishRows needs a padded band only when In is not a multiple of 16.
        float* gxBand = p.In == p.In16 ? null : (float*)NativeMemory.AlignedAlloc((nuint)((long)count * g.Width * p.In16 * sizeof(float)), 64);
        try
        {
            int words = p.Hidden16 / 16;
            FinishRows(p, g, after, maskE + ((long)image * g.Height + first) * g.Width * words, count, gxBand,
                gx + ((long)image * g.Height + first) * g.Width * p.In);
        }
        finally { if (gxBand != null) NativeMemory.AlignedFree(gxBand); }
    }

    /// <summary>gx += gy for image <paramref name="image"/> (the residual: same size, In = Out).</summary>
    public static void AddResidual(InvertedResidualWeights p, InvertedResidualGeometry g, float* gy, float* gx, int image)
    {
        long n = (long)g.Height * g.Width * p.In;
        Accumulate(gx + image * n, gy + image * n, n);
    }

    /// <summary>g[16j + i] kept where bit i of bits[j] is set, zeroed elsewhere (ReLU6's gradient).</summary>
    private static void KeepBits(float* g, long vectors, ushort* bits)
    {
        for (long j = 0; j < vectors; j++)
        {
            var lanes = Vector512.Equals(Vector512.Create((int)bits[j]) & LaneBits, LaneBits).AsSingle();
            Vector512.Store(Vector512.Load(g + j * 16) & lanes, g + j * 16);
        }
    }

    /// <summary>
    /// ge row (expanded row i) += the taps of kernel row <paramref name="kh"/> applied back from one output row's gradient gd:
    /// ge[j] += Σ_kw gd[c] · w[kh, kw] over c·s − left + kw = j.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void DepthwiseTransposedRow(InvertedResidualWeights p, InvertedResidualGeometry g, float* gd, int kh, float* ge)
    {
        int ch16 = p.Hidden16, s = g.Stride, left = g.Left;
        for (int v = 0; v < ch16; v += 16)
        {
            float* k = p.Depthwise + kh * 3 * ch16 + v;
            var w0 = Vector512.Load(k); var w1 = Vector512.Load(k + ch16); var w2 = Vector512.Load(k + 2 * ch16);
            int j = 0;
            if (s == 1)
            {
                // Interior: c = j + left − kw lies in [0, W') for all three taps.
                int lo = Math.Min(g.Width, Math.Max(0, 2 - left)), hi = Math.Min(g.Width, g.OutWidth - left);
                for (; j < lo; j++) TransposedColumn(p, g, gd, k, ge, v, j);
                for (; j < hi; j++)
                {
                    float* src = gd + (j + left) * ch16 + v;
                    var acc = Vector512.Load(ge + j * ch16 + v);
                    acc = Fma(Vector512.Load(src), w0, acc);
                    acc = Fma(Vector512.Load(src - ch16), w1, acc);
                    acc = Fma(Vector512.Load(src - 2 * ch16), w2, acc);
                    Vector512.Store(acc, ge + j * ch16 + v);
                }
            }
            else if (s == 2)
            {
                // j + left = 2c reads taps 0 (at c) and 2 (at c − 1); j + left = 2c + 1 reads tap 1 (at c).
                for (; j < g.Width; j++)
                {
                    int t = j + left;
                    float* dst = ge + j * ch16 + v;
                    var acc = Vector512.Load(dst);
                    if ((t & 1) == 0)
                    {
                        int c = t >> 1;
                        if (c < g.OutWidth) acc = Fma(Vector512.Load(gd + c * ch16 + v), w0, acc);
                        if (c >= 1 && c - 1 < g.OutWidth) acc = Fma(Vector512.Load(gd + (c - 1) * ch16 + v), w2, acc);
                    }
                    else
                    {
                        int c = t >> 1;
                        if (c < g.OutWidth) acc = Fma(Vector512.Load(gd + c * ch16 + v), w1, acc);
                    }
                    Vector512.Store(acc, dst);
                }
            }
            for (; j < g.Width; j++) TransposedColumn(p, g, gd, k, ge, v, j);
        }
    }

    /// <summary>One column of <see cref="DepthwiseTransposedRow"/>, any stride and position.</summary>
    private static void TransposedColumn(InvertedResidualWeights p, InvertedResidualGeometry g, float* gd, float* k, float* ge, int v, int j)
    {
        int ch16 = p.Hidden16, s = g.Stride;
        var acc = Vector512.Load(ge + j * ch16 + v);
        for (int kw = 0; kw < 3; kw++)
        {
            int t = j + g.Left - kw;                 // = c·s
            if (t < 0 || t % s != 0) continue;
            int c = t / s;
            if (c >= g.OutWidth) continue;
            acc = Fma(Vector512.Load(gd + c * ch16 + v), Vector512.Load(k + kw * ch16), acc);
        }
        Vector512.Store(acc, ge + j * ch16 + v);
    }

    /// <summary>gx rows = (ge ⊙ maskE) · Weᵀ for <paramref name="rows"/> expanded rows (ge itself without expansion, where E is the input).</summary>
    private static void FinishRows(InvertedResidualWeights p, InvertedResidualGeometry g, float* ge, ushort* maskE, int rows, float* gxBand, float* gx)
    {
        int pixels = rows * g.Width;
        if (p.ExpansionT is null)
        {
            for (int c = 0; c < pixels; c++) Buffer.MemoryCopy(ge + (long)c * p.Hidden16, gx + (long)c * p.In, p.In * sizeof(float), p.In * sizeof(float));
            return;
        }
        KeepBits(ge, (long)pixels * (p.Hidden16 / 16), maskE);
        if (p.In == p.In16)
        {
            Gemm<Identity>(ge, p.Hidden16, pixels, p.Hidden, p.ExpansionT, p.In16, p.Zeros, gx, p.In);
            return;
        }
        Gemm<Identity>(ge, p.Hidden16, pixels, p.Hidden, p.ExpansionT, p.In16, p.Zeros, gxBand, p.In16);
        for (int c = 0; c < pixels; c++) Buffer.MemoryCopy(gxBand + (long)c * p.In16, gx + (long)c * p.In, p.In * sizeof(float), p.In * sizeof(float));
    }
}
