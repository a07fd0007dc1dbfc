using StbImageWriteSharp;
using static TorchSharp.torch;

namespace Tvp.Tests.Data;

/// <summary>Writes small test images (PNG via StbImageWriteSharp, binary PGM/PPM by hand) and reads tensor pixels.</summary>
internal static class TestImages
{
    public static void WritePng(string path, byte[] pixels, int width, int height, ColorComponents components)
    {
        using var f = File.Create(path);
        new ImageWriter().WritePng(pixels, width, height, components, f);
    }

    /// <summary>A w×h RGB image whose pixel (x, y) is (r0 + x, g0 + y, b0 + x + y) (mod 256): every pixel distinct.</summary>
    public static byte[] Gradient(int width, int height, int r0 = 10, int g0 = 100, int b0 = 200)
    {
        var rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int o = (y * width + x) * 3;
                rgb[o] = (byte)(r0 + x); rgb[o + 1] = (byte)(g0 + y); rgb[o + 2] = (byte)(b0 + x + y);
            }
        return rgb;
    }

    public static void WritePgm(string path, byte[] grey, int width, int height)
    {
        var header = System.Text.Encoding.ASCII.GetBytes($"P5\n# test image\n{width} {height}\n255\n");
        File.WriteAllBytes(path, header.Concat(grey).ToArray());
    }

    public static float Pixel(Tensor img, int c, int y, int x) => img[c, y, x].item<float>();
}
