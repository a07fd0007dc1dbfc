namespace Tvp.Data;

/// <summary>Binary Netpbm decoder: P6 (RGB) and P5 (grey), 8-bit or 16-bit samples, comments allowed in the header.</summary>
internal static class Netpbm
{
    public static (byte[] Rgb, int Width, int Height) Decode(byte[] b, string name, ImageReadOptions options)
    {
        int pos = 2;
        bool colour = b[1] == (byte)'6';
        int width = ReadInt(b, ref pos, name), height = ReadInt(b, ref pos, name), max = ReadInt(b, ref pos, name);
        if (pos >= b.Length || !IsSpace(b[pos])) throw new InvalidDataException($"{name}: corrupt PPM header");
        pos++; // exactly one whitespace byte before the raster
        if (width <= 0 || height <= 0 || max <= 0 || max > 65535)
            throw new InvalidDataException($"{name}: corrupt PPM header (width {width}, height {height}, maxval {max})");
        options.CheckSize(name, width, height);
        int channels = colour ? 3 : 1, bps = max > 255 ? 2 : 1;
        long need = (long)width * height * channels * bps;
        if (b.Length - pos < need)
        {
            var what = $"{b.Length - pos} raster bytes, {need} needed for {width}x{height}";
            if (!options.AllowTruncated) throw new InvalidDataException($"{name}: truncated PPM ({what}); pass --allow-truncated-images to decode it anyway");
            options.Warn?.Invoke($"warning: {name}: truncated PPM ({what}); missing pixels are black (--allow-truncated-images)");
            var padded = new byte[pos + need];
            Array.Copy(b, padded, b.Length);
            b = padded;
        }
        var rgb = new byte[width * height * 3];
        for (int i = 0; i < width * height; i++)
            for (int c = 0; c < 3; c++)
            {
                int src = pos + (i * channels + (colour ? c : 0)) * bps;
                int v = bps == 2 ? (b[src] << 8) | b[src + 1] : b[src];
                rgb[i * 3 + c] = (byte)(max == 255 ? v : (int)Math.Round(v * 255.0 / max));
            }
        return (rgb, width, height);
    }

    private static bool IsSpace(byte c) => c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0b or 0x0c;

    private static int ReadInt(byte[] b, ref int pos, string name)
    {
        while (pos < b.Length)
        {
            if (IsSpace(b[pos])) { pos++; continue; }
            if (b[pos] == (byte)'#') { while (pos < b.Length && b[pos] != (byte)'\n') pos++; continue; }
            break;
        }
        long v = 0; int start = pos;
        while (pos < b.Length && b[pos] >= (byte)'0' && b[pos] <= (byte)'9') { v = v * 10 + (b[pos] - '0'); pos++; if (v > int.MaxValue) break; }
        if (pos == start || v > int.MaxValue) throw new InvalidDataException($"{name}: corrupt PPM header");
        return (int)v;
    }
}
