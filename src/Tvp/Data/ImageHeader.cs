using System.Buffers.Binary;

namespace Tvp.Data;

/// <summary>
/// Reads the declared width and height of a PNG, JPEG or BMP from its header, without decoding. stb_image's own
/// header reader refuses some huge sizes with a bare "too large", and accepts others; tvp checks its own
/// pixel limit against these numbers first so the message names the size and the flag.
/// </summary>
internal static class ImageHeader
{
    /// <summary>(width, height) as declared, or null when the header is not one of these formats or is cut short.</summary>
    public static (long Width, long Height)? Read(byte[] b)
    {
        if (b.Length >= 24 && b[0] == 0x89 && b[1] == (byte)'P' && b[2] == (byte)'N' && b[3] == (byte)'G'
            && b[12] == (byte)'I' && b[13] == (byte)'H' && b[14] == (byte)'D' && b[15] == (byte)'R')
            return (BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(16, 4)), BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(20, 4)));
        if (b.Length >= 26 && b[0] == (byte)'B' && b[1] == (byte)'M' && BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(14, 4)) >= 40)
            return (BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(18, 4)), Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(22, 4))));
        if (b.Length >= 4 && b[0] == 0xFF && b[1] == 0xD8) return Jpeg(b);
        return null;
    }

    private static (long, long)? Jpeg(byte[] b)
    {
        int pos = 2;
        while (pos + 4 <= b.Length)
        {
            if (b[pos] != 0xFF) return null;
            byte marker = b[pos + 1];
            if (marker == 0xFF) { pos++; continue; }
            int len = (b[pos + 2] << 8) | b[pos + 3];
            // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC): height at +5, width at +7
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
                return pos + 9 <= b.Length ? ((b[pos + 7] << 8) | b[pos + 8], (b[pos + 5] << 8) | b[pos + 6]) : null;
            if (marker == 0xDA || len < 2) return null;
            pos += 2 + len;
        }
        return null;
    }
}
