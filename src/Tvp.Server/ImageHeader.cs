using StbImageSharp;

namespace Tvp.Server;

/// <summary>
/// Width and height of an encoded image read from its header only (no pixel is decoded), so a small file that
/// would decode to billions of pixels (a decompression bomb) is refused before any memory is spent on it.
/// </summary>
public static class ImageHeader
{
    /// <summary>The image's size from its header; JPEG/PNG/BMP (StbImageSharp) and binary PPM/PGM.</summary>
    /// <exception cref="ApiException">400: not an image this server decodes.</exception>
    public static (int Width, int Height) Read(byte[] bytes, string param)
    {
        if (bytes.Length >= 2 && bytes[0] == (byte)'P' && bytes[1] is (byte)'5' or (byte)'6')
            return ReadNetpbm(bytes, param);
        ImageInfo? info;
        try
        {
            using var ms = new MemoryStream(bytes, writable: false);
            info = ImageInfo.FromStream(ms);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IOException or IndexOutOfRangeException)
        {
            info = null;
        }
        if (info is not { Width: > 0, Height: > 0 } i)
            throw ApiException.BadRequest($"{param}: not an image (JPEG, PNG, BMP or binary PPM/PGM expected)", "invalid_image", param);
        return (i.Width, i.Height);
    }

    /// <summary>Refuses images over <paramref name="maxPixels"/> (width×height) before decoding.</summary>
    public static void CheckPixels(byte[] bytes, long maxPixels, string param)
    {
        var (w, h) = Read(bytes, param);
        if ((long)w * h > maxPixels)
            throw ApiException.BadRequest($"{param}: image is {w}×{h} = {(long)w * h} pixels, above the limit of {maxPixels} (--max-image-pixels)", "image_too_many_pixels", param);
    }

    private static (int, int) ReadNetpbm(byte[] b, string param)
    {
        int pos = 2;
        int Next()
        {
            while (pos < b.Length && (char.IsWhiteSpace((char)b[pos]) || b[pos] == (byte)'#'))
            {
                if (b[pos] == (byte)'#') while (pos < b.Length && b[pos] != (byte)'\n') pos++;
                else pos++;
            }
            long v = 0; int start = pos;
            while (pos < b.Length && b[pos] is >= (byte)'0' and <= (byte)'9' && v <= int.MaxValue) v = v * 10 + (b[pos++] - '0');
            if (pos == start || v > int.MaxValue || v == 0)
                throw ApiException.BadRequest($"{param}: corrupt PPM/PGM header", "invalid_image", param);
            return (int)v;
        }
        int w = Next(), h = Next();
        return (w, h);
    }
}
