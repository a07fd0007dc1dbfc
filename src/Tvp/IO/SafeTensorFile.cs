using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace Tvp.IO;

/// <summary>The header entry of one tensor in a safetensors file.</summary>
/// <param name="Name">Tensor name.</param>
/// <param name="DType">safetensors dtype string (F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL).</param>
/// <param name="Shape">Tensor shape.</param>
/// <param name="Begin">Byte offset of the data, relative to the start of the data section.</param>
/// <param name="End">Byte offset one past the end of the data, relative to the data section.</param>
public sealed record SafeTensorEntry(string Name, string DType, long[] Shape, long Begin, long End);

/// <summary>
/// Reads a safetensors file (8-byte little-endian header length, JSON header, raw little-endian data).
/// Tensors are read lazily by name; every structural problem is reported with the file name.
/// </summary>
public sealed class SafeTensorFile
{
    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly long _dataStart;

    /// <summary>Path of the file.</summary>
    public string Path { get; }

    /// <summary>Tensor entries by name.</summary>
    public IReadOnlyDictionary<string, SafeTensorEntry> Entries { get; }

    /// <summary>The <c>__metadata__</c> string map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Opens and validates the header of a safetensors file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The header is corrupt or inconsistent.</exception>
    public SafeTensorFile(string path)
    {
        Path = path;
        if (!File.Exists(path)) throw new FileNotFoundException($"safetensors file not found: {path}", path);
        using var fs = File.OpenRead(path);
        long fileLength = fs.Length;
        if (fileLength < 8) throw new InvalidDataException($"{path}: not a safetensors file (only {fileLength} bytes)");
        Span<byte> lenBytes = stackalloc byte[8];
        fs.ReadExactly(lenBytes);
        ulong headerLen = BitConverter.ToUInt64(lenBytes);
        if (headerLen == 0 || headerLen > (ulong)(fileLength - 8) || headerLen > 100_000_000)
            throw new InvalidDataException($"{path}: corrupt safetensors header (header length {headerLen}, file length {fileLength})");
        var header = new byte[headerLen];
        fs.ReadExactly(header);
        _dataStart = 8 + (long)headerLen;
        long dataLength = fileLength - _dataStart;
        var entries = new Dictionary<string, SafeTensorEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        try { _ = StrictUtf8.GetCharCount(header); }
        catch (System.Text.DecoderFallbackException) { throw new InvalidDataException($"{path}: corrupt safetensors header (not valid UTF-8)"); }
        JsonDocument doc;
        try { doc = JsonDocument.Parse(header); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: corrupt safetensors header (invalid JSON: {e.Message})", e); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{path}: corrupt safetensors header (not a JSON object)");
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    if (prop.Value.ValueKind == JsonValueKind.Object)
                        foreach (var m in prop.Value.EnumerateObject())
                            metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : m.Value.GetRawText();
                    continue;
                }
                try
                {
                    var dtype = prop.Value.GetProperty("dtype").GetString()!;
                    var shape = prop.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                    var offs = prop.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                    if (offs.Length != 2 || offs[0] < 0 || offs[1] < offs[0] || offs[1] > dataLength)
                        throw new InvalidDataException($"{path}: tensor '{prop.Name}' has data offsets [{string.Join(",", offs)}] outside the {dataLength}-byte data section");
                    if (shape.Any(d => d < 0))
                        throw new InvalidDataException($"{path}: tensor '{prop.Name}' has a negative dimension in shape [{string.Join(",", shape)}]");
                    long expected;
                    try { expected = checked(shape.Aggregate(1L, (a, b) => checked(a * b)) * ElementSize(dtype, path, prop.Name)); }
                    catch (OverflowException) { throw new InvalidDataException($"{path}: tensor '{prop.Name}' shape [{string.Join(",", shape)}] holds more bytes than a 64-bit count"); }
                    if (expected != offs[1] - offs[0])
                        throw new InvalidDataException($"{path}: tensor '{prop.Name}' ({dtype} [{string.Join(",", shape)}]) needs {expected} bytes but its offsets span {offs[1] - offs[0]}");
                    entries[prop.Name] = new SafeTensorEntry(prop.Name, dtype, shape, offs[0], offs[1]);
                }
                catch (KeyNotFoundException)
                {
                    throw new InvalidDataException($"{path}: corrupt safetensors header (tensor '{prop.Name}' lacks dtype, shape or data_offsets)");
                }
                catch (InvalidOperationException e)
                {
                    throw new InvalidDataException($"{path}: corrupt safetensors header (tensor '{prop.Name}': {e.Message})", e);
                }
                catch (FormatException)
                {
                    throw new InvalidDataException($"{path}: corrupt safetensors header (tensor '{prop.Name}': shape and data_offsets must be whole numbers in the 64-bit range)");
                }
            }
        }
        CheckLayout(path, entries.Values, dataLength);
        Entries = entries;
        Metadata = metadata;
    }

    /// <summary>Bytes of tensor data in the file (the data section).</summary>
    public long DataBytes => Entries.Values.Sum(e => e.End - e.Begin);

    /// <summary>
    /// The data section must be tiled exactly by the tensors, as the safetensors format requires: sorted by
    /// offset, each tensor starts where the previous one ends, the first at 0 and the last at the end of the
    /// file. Overlapping tensors (two names reading the same bytes) and gaps are refused.
    /// </summary>
    private static void CheckLayout(string path, IEnumerable<SafeTensorEntry> entries, long dataLength)
    {
        long at = 0;
        string? previous = null;
        foreach (var e in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (e.Begin < at)
                throw new InvalidDataException($"{path}: tensor '{e.Name}' (bytes {e.Begin}..{e.End}) overlaps tensor '{previous}' (which ends at {at})");
            if (e.Begin > at)
                throw new InvalidDataException($"{path}: {e.Begin - at} unused bytes before tensor '{e.Name}' at offset {at} (tensors must be contiguous)");
            at = e.End;
            previous = e.Name;
        }
        if (at != dataLength)
            throw new InvalidDataException($"{path}: the tensors end at byte {at} of the {dataLength}-byte data section (trailing bytes)");
    }

    /// <summary>True when the file holds a tensor with this name.</summary>
    public bool Contains(string name) => Entries.ContainsKey(name);

    /// <summary>
    /// Reads one tensor (on the CPU, in its stored dtype) straight into the tensor's own memory, in bounded
    /// chunks: no managed copy of the data is made, so reading a checkpoint costs its bytes once.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No tensor of that name.</exception>
    public Tensor Read(string name)
    {
        if (!Entries.TryGetValue(name, out var e))
            throw new KeyNotFoundException($"{Path}: no tensor named '{name}'");
        var dtype = ToScalarType(e.DType, Path, name);
        var t = empty(e.Shape, dtype, device: CPU);
        try
        {
            long n = e.End - e.Begin;
            if (n == 0) return t;
            using var fs = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
            fs.Seek(_dataStart + e.Begin, SeekOrigin.Begin);
            ReadInto(fs, t, n, name);
            return t;
        }
        catch
        {
            t.Dispose();
            throw;
        }
    }

    /// <summary>Fills the CPU tensor's memory with the next <paramref name="n"/> bytes of the stream, at most 64 MiB per read call.</summary>
    private void ReadInto(Stream fs, Tensor t, long n, string name)
    {
        if (n > int.MaxValue)
            throw new NotSupportedException($"{Path}: tensor '{name}' is larger than 2 GiB; split the checkpoint into shards");
        // Tensor.bytes is a span over the CPU tensor's own storage: the file is read straight into it.
        var target = t.bytes;
        if (target.Length != n) throw new InvalidDataException($"{Path}: tensor '{name}' size mismatch ({target.Length} vs {n} bytes)");
        const int Chunk = 64 << 20;
        for (int done = 0; done < n;)
        {
            int want = (int)Math.Min(Chunk, n - done);
            fs.ReadExactly(target.Slice(done, want));
            done += want;
        }
    }

    /// <summary>Reads one tensor and converts it to float32.</summary>
    public Tensor ReadFloat(string name)
    {
        var t = Read(name);
        if (t.dtype == ScalarType.Float32) return t;
        var f = t.to_type(ScalarType.Float32);
        t.Dispose();
        return f;
    }

    internal static long ElementSize(string dtype, string path, string name) => dtype switch
    {
        "F64" or "I64" or "U64" => 8,
        "F32" or "I32" or "U32" => 4,
        "F16" or "BF16" or "I16" or "U16" => 2,
        "I8" or "U8" or "BOOL" => 1,
        _ => throw new InvalidDataException($"{path}: tensor '{name}' has unsupported dtype '{dtype}'"),
    };

    internal static ScalarType ToScalarType(string dtype, string path, string name) => dtype switch
    {
        "F64" => ScalarType.Float64,
        "F32" => ScalarType.Float32,
        "F16" => ScalarType.Float16,
        "BF16" => ScalarType.BFloat16,
        "I64" => ScalarType.Int64,
        "I32" => ScalarType.Int32,
        "I16" => ScalarType.Int16,
        "I8" => ScalarType.Int8,
        "U8" => ScalarType.Byte,
        "BOOL" => ScalarType.Bool,
        _ => throw new InvalidDataException($"{path}: tensor '{name}' has unsupported dtype '{dtype}'"),
    };

    internal static string FromScalarType(ScalarType t) => t switch
    {
        ScalarType.Float64 => "F64",
        ScalarType.Float32 => "F32",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Int16 => "I16",
        ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8",
        ScalarType.Bool => "BOOL",
        _ => throw new NotSupportedException($"dtype {t} cannot be written to safetensors"),
    };

    /// <summary>
    /// Writes tensors to a safetensors file atomically (temporary file, then rename), so a crash never
    /// leaves a half-written file under the final name.
    /// </summary>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new Dictionary<string, object>();
        if (metadata is { Count: > 0 }) header["__metadata__"] = metadata;
        var datas = new List<byte[]>();
        long offset = 0;
        foreach (var (name, tensor) in tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            using var cpu = tensor.detach().cpu().contiguous();
            var bytes = cpu.bytes.ToArray();
            header[name] = new Dictionary<string, object>
            {
                ["dtype"] = FromScalarType(cpu.dtype),
                ["shape"] = cpu.shape,
                ["data_offsets"] = new[] { offset, offset + bytes.Length },
            };
            offset += bytes.Length;
            datas.Add(bytes);
        }
        var json = JsonSerializer.Serialize(header);
        int pad = (8 - Encoding.UTF8.GetByteCount(json) % 8) % 8;
        var headerBytes = Encoding.UTF8.GetBytes(json + new string(' ', pad));
        AtomicFile.Write(path, stream =>
        {
            stream.Write(BitConverter.GetBytes((ulong)headerBytes.Length));
            stream.Write(headerBytes);
            foreach (var d in datas) stream.Write(d);
        });
    }
}
