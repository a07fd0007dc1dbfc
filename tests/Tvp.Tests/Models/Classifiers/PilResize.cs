using Tvp.Data;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Classifiers;

/// <summary>
/// The reference preprocessing of the MobileNet cards' checks: PIL <c>Image.resize(size, LANCZOS)</c> of an
/// 8-bit RGB image, reproduced step for step (Pillow's Resample.c: separable Lanczos-3 with support scaled by
/// the reduction factor, 22-bit fixed-point coefficients, horizontal pass then vertical, 8-bit intermediate).
/// </summary>
internal static class PilResize
{
    private const int PrecisionBits = 32 - 8 - 2;

    /// <summary>Decodes <paramref name="path"/> and resizes it to <paramref name="width"/>×<paramref name="height"/> as PIL LANCZOS does; returns [3,H,W] in [0,1].</summary>
    public static Tensor LoadLanczos(string path, int width, int height)
    {
        var (rgb, w, h) = ImageDecoder.LoadRgb(path);
        var resized = Lanczos(rgb, w, h, width, height);
        return ImageDecoder.ToTensor(resized, width, height);
    }

    /// <summary>Interleaved RGB bytes (H×W×3) resized with PIL's LANCZOS filter.</summary>
    public static byte[] Lanczos(byte[] rgb, int w, int h, int outW, int outH)
    {
        var horizontal = outW == w ? rgb : Pass(rgb, w, h, outW, horizontalPass: true);
        return outH == h ? horizontal : Pass(horizontal, outW, h, outH, horizontalPass: false);
    }

    private static byte[] Pass(byte[] src, int w, int h, int outSize, bool horizontalPass)
    {
        int inSize = horizontalPass ? w : h;
        var (bounds, kk, ksize) = Coefficients(inSize, outSize);
        int ow = horizontalPass ? outSize : w, oh = horizontalPass ? h : outSize;
        var dst = new byte[ow * oh * 3];
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
            {
                int o = horizontalPass ? x : y;
                var (min, count) = bounds[o];
                for (int c = 0; c < 3; c++)
                {
                    long ss = 1L << (PrecisionBits - 1);
                    for (int t = 0; t < count; t++)
                    {
                        int sx = horizontalPass ? min + t : x, sy = horizontalPass ? y : min + t;
                        ss += src[(sy * w + sx) * 3 + c] * (long)kk[o * ksize + t];
                    }
                    dst[(y * ow + x) * 3 + c] = Clip8(ss);
                }
            }
        return dst;
    }

    private static byte Clip8(long v) => v <= 0 ? (byte)0 : (byte)Math.Min(255, v >> PrecisionBits);

    private static ((int Min, int Count)[] Bounds, int[] Kk, int KSize) Coefficients(int inSize, int outSize)
    {
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        double support = 3.0 * filterScale;
        int ksize = (int)Math.Ceiling(support) * 2 + 1;
        var bounds = new (int, int)[outSize];
        var kk = new int[outSize * ksize];
        var k = new double[ksize];
        for (int xx = 0; xx < outSize; xx++)
        {
            double center = (xx + 0.5) * scale;
            double ww = 0, ss = 1.0 / filterScale;
            int xmin = Math.Max((int)(center - support + 0.5), 0);
            int xmax = Math.Min((int)(center + support + 0.5), inSize) - xmin;
            for (int x = 0; x < xmax; x++)
            {
                k[x] = LanczosKernel((x + xmin - center + 0.5) * ss);
                ww += k[x];
            }
            for (int x = 0; x < xmax; x++)
            {
                double v = ww != 0 ? k[x] / ww : k[x];
                kk[xx * ksize + x] = (int)(v < 0 ? -0.5 + v * (1 << PrecisionBits) : 0.5 + v * (1 << PrecisionBits));
            }
            bounds[xx] = (xmin, xmax);
        }
        return (bounds, kk, ksize);
    }

    private static double LanczosKernel(double x) => x >= -3.0 && x < 3.0 ? Sinc(x) * Sinc(x / 3) : 0.0;

    private static double Sinc(double x)
    {
        if (x == 0.0) return 1.0;
        x *= Math.PI;
        return Math.Sin(x) / x;
    }
}
