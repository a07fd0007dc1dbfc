using System.Buffers.Binary;

namespace Tvp.Data;

/// <summary>
/// Detects truncated JPEG, PNG and BMP files from their structure. The decoder (stb_image) fills a truncated
/// image's missing part with grey and reports nothing, so tvp checks the container itself: a JPEG must reach its
/// end-of-image marker after the first scan, a PNG its IEND chunk, an uncompressed BMP the end of its pixel array.
/// </summary>
internal static class ImageTruncation
{
    /// <summary>A description of what is missing, or null when the file is complete (or of another format).</summary>
    public static string? Check(byte[] b)
    {
        if (b.Length >= 2 && b[0] == 0xFF && b[1] == 0xD8) return Jpeg(b);
        if (b.Length >= 8 && b[0] == 0x89 && b[1] == (byte)'P' && b[2] == (byte)'N' && b[3] == (byte)'G') return Png(b);
        if (b.Length >= 2 && b[0] == (byte)'B' && b[1] == (byte)'M') return Bmp(b);
        return null;
    }

    private static string? Jpeg(byte[] b)
    {
        // Walk the marker segments up to the first start-of-scan (FF DA), then look for end-of-image (FF D9) after it:
        // inside entropy-coded data an FF byte is always followed by 00 or a restart marker, never by D9.
        int pos = 2;
        while (true)
        {
            while (pos < b.Length && b[pos] == 0xFF && pos + 1 < b.Length && b[pos + 1] == 0xFF) pos++; // fill bytes
            if (pos + 4 > b.Length) return "the JPEG ends before its first scan";
            if (b[pos] != 0xFF) return null; // not a structure we understand: leave it to the decoder
            byte marker = b[pos + 1];
            int len = (b[pos + 2] << 8) | b[pos + 3];
            if (marker == 0xDA) { pos += 2 + len; break; }
            if (marker == 0xD9) return "the JPEG ends before its first scan";
            pos += 2 + len;
        }
        for (int i = b.Length - 2; i >= pos && i >= 0; i--)
            if (b[i] == 0xFF && b[i + 1] == 0xD9) return null;
        return "the JPEG has no end-of-image marker (FF D9)";
    }

    private static string? Png(byte[] b)
    {
        long pos = 8;
        while (pos + 8 <= b.Length)
        {
            long len = BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan((int)pos, 4));
            bool iend = b[pos + 4] == (byte)'I' && b[pos + 5] == (byte)'E' && b[pos + 6] == (byte)'N' && b[pos + 7] == (byte)'D';
            long next = pos + 12 + len;
            if (next > b.Length) return $"the PNG chunk at byte {pos} runs past the end of the file";
            if (iend) return null;
            pos = next;
        }
        return "the PNG has no IEND chunk";
    }

    private static string? Bmp(byte[] b)
    {
        if (b.Length < 34) return "the BMP header is cut short";
        int dataOffset = BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(10, 4));
        int headerSize = BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(14, 4));
        if (headerSize < 40) return null; // OS/2 headers: leave them to the decoder
        long width = BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(18, 4));
        long height = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(22, 4)));
        int bpp = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(28, 2));
        int compression = BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(30, 4));
        if (compression is not (0 or 3) || width <= 0 || bpp == 0) return null; // RLE: sizes vary
        long stride = (width * bpp + 31) / 32 * 4;
        long need = dataOffset + stride * height;
        return b.Length < need ? $"the BMP pixel array needs {need} bytes, the file has {b.Length}" : null;
    }
}
