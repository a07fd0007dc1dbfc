using Tvp.Data;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Classifiers;

/// <summary>
/// libcoral's test preprocessing, as the MobileNet cards' padding checks used it: TFLite RESIZE_BILINEAR
/// (align_corners=false, half_pixel_centers=false: source = destination·scale, no half-pixel offset), then
/// truncation to uint8.
/// </summary>
internal static class TfLiteResize
{
    /// <summary>Decodes <paramref name="path"/> and resizes it to size×size; returns [3,S,S] in [0,1].</summary>
    public static Tensor LoadBilinear(string path, int size)
    {
        var (rgb, w, h) = ImageDecoder.LoadRgb(path);
        var dst = new byte[size * size * 3];
        float sy = (float)h / size, sx = (float)w / size;
        for (int y = 0; y < size; y++)
        {
            float iy = y * sy;
            int y0 = (int)MathF.Floor(iy), y1 = Math.Min(y0 + 1, h - 1);
            float dy = iy - y0;
            for (int x = 0; x < size; x++)
            {
                float ix = x * sx;
                int x0 = (int)MathF.Floor(ix), x1 = Math.Min(x0 + 1, w - 1);
                float dx = ix - x0;
                for (int c = 0; c < 3; c++)
                {
                    float v = rgb[(y0 * w + x0) * 3 + c] * (1 - dy) * (1 - dx) + rgb[(y1 * w + x0) * 3 + c] * dy * (1 - dx)
                            + rgb[(y0 * w + x1) * 3 + c] * (1 - dy) * dx + rgb[(y1 * w + x1) * 3 + c] * dy * dx;
                    dst[(y * size + x) * 3 + c] = (byte)v;
                }
            }
        }
        return ImageDecoder.ToTensor(dst, size, size);
    }
}
