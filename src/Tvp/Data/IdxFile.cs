using System.Buffers.Binary;
using System.IO.Compression;

namespace Tvp.Data;

/// <summary>
/// An unsigned-byte IDX file (LeCun's MNIST format): magic 00 00 08 nd, then nd big-endian int32 dimensions, then the
/// data. Gzip-compressed files (magic 1f 8b) are decompressed transparently.
/// </summary>
internal sealed class IdxFile
{
    private IdxFile(string path, int[] dims, byte[] data, int dataOffset)
    {
        Path = path; Dims = dims; Data = data; DataOffset = dataOffset;
    }

    public string Path { get; }
    public int[] Dims { get; }
    /// <summary>The whole (decompressed) file; the data starts at <see cref="DataOffset"/>.</summary>
    public byte[] Data { get; }
    public int DataOffset { get; }

    /// <summary>Reads an IDX file of unsigned bytes with <paramref name="rank"/> dimensions.</summary>
    public static IdxFile Read(string path, int rank)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"IDX file not found: {path}", path);
        byte[] bytes = File.ReadAllBytes(path);
        bool gzip = bytes.Length >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
        if (gzip) bytes = Gunzip(bytes, path);
        string size = gzip ? $"{bytes.Length} bytes after gunzip" : $"{bytes.Length} bytes";
        if (bytes.Length < 4)
            throw new InvalidDataException($"{path}: too short for an IDX header ({size})");
        if (bytes[0] != 0 || bytes[1] != 0)
            throw new InvalidDataException($"{path}: not an IDX file (magic {bytes[0]:x2} {bytes[1]:x2} {bytes[2]:x2} {bytes[3]:x2}, expected 00 00 08 {rank:x2})");
        if (bytes[2] != 0x08)
            throw new InvalidDataException($"{path}: IDX element type 0x{bytes[2]:x2} is not unsigned byte (0x08)");
        if (bytes[3] != rank)
            throw new InvalidDataException($"{path}: IDX file has {bytes[3]} dimensions, {rank} expected ({(rank == 3 ? "images" : "labels")})");
        if (bytes.Length < 4 + 4 * rank)
            throw new InvalidDataException($"{path}: too short for an IDX header ({size})");
        var dims = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * i));
            if (dims[i] <= 0) throw new InvalidDataException($"{path}: dimension {i} is {dims[i]}");
            count *= dims[i];
        }
        int offset = 4 + 4 * rank;
        if (bytes.Length - offset != count)
            throw new InvalidDataException($"{path}: {bytes.Length - offset} data bytes{(gzip ? " after gunzip" : "")}, header [{string.Join(", ", dims)}] needs {count} (truncated or corrupt)");
        return new IdxFile(path, dims, bytes, offset);
    }

    private static byte[] Gunzip(byte[] gz, string path)
    {
        try
        {
            using var input = new MemoryStream(gz);
            using var unzip = new GZipStream(input, CompressionMode.Decompress);
            using var output = new MemoryStream();
            unzip.CopyTo(output);
            // The gzip trailer ends with ISIZE, the uncompressed length mod 2^32: a truncated stream fails this check
            // (GZipStream itself returns whatever it could inflate).
            uint isize = gz.Length >= 18 ? BinaryPrimitives.ReadUInt32LittleEndian(gz.AsSpan(gz.Length - 4)) : uint.MaxValue;
            if (isize != (uint)output.Length)
                throw new InvalidDataException($"{path}: truncated or corrupt gzip stream ({output.Length} bytes inflated, trailer says {isize})");
            return output.ToArray();
        }
        catch (Exception e) when (e is IOException || (e is InvalidDataException && !e.Message.StartsWith(path, StringComparison.Ordinal)))
        {
            throw new InvalidDataException($"{path}: corrupt gzip stream ({e.Message})", e);
        }
    }
}
