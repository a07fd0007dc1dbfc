using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CsCheck;

namespace Tvp.Tests.Reliability;

/// <summary>
/// Mutations of valid files (bit flips, truncation, overwritten byte runs, header edits, extreme numbers) and the
/// property every reader must keep: it returns, or throws one of the typed errors the CLI turns into a one-line
/// message — within a time bound (a hang guard, not a benchmark) and without unbounded memory.
/// </summary>
public static class Fuzzing
{
    /// <summary>Cases per format: a few hundred in CI, 10,000 with TVP_FUZZ=long.</summary>
    public static long Cases => Environment.GetEnvironmentVariable("TVP_FUZZ") == "long" ? 10_000 : 300;

    /// <summary>The errors the CLI reports as one line (see Tvp.Cli.CliAction).</summary>
    public static bool IsTyped(Exception e) => e is IOException or UnauthorizedAccessException or InvalidDataException
        or ArgumentException or NotSupportedException or KeyNotFoundException or JsonException or FormatException or InvalidOperationException;

    private static readonly string[] Extremes =
        { "-1", "0", "1", "-2147483649", "2147483648", "1e9", "1e30", "1e308", "-1e308", "2.5", "NaN", "\"x\"", "null", "[]", "{}", "9223372036854775808" };

    /// <summary>Binary mutations of <paramref name="valid"/>.</summary>
    public static Gen<byte[]> Bytes(byte[] valid) => Gen.OneOf(
        Gen.Int[0, valid.Length * 8 - 1].Array[1, 8].Select(bits =>
        {
            var b = (byte[])valid.Clone();
            foreach (var bit in bits) b[bit / 8] ^= (byte)(1 << (bit % 8));
            return b;
        }),
        Gen.Int[0, valid.Length - 1].Select(n => valid[..n]),
        Gen.Select(Gen.Int[0, valid.Length - 1], Gen.Byte.Array[1, 16], (pos, run) =>
        {
            var b = (byte[])valid.Clone();
            for (int i = 0; i < run.Length && pos + i < b.Length; i++) b[pos + i] = run[i];
            return b;
        }),
        // header edits: the first 64 bytes are where formats keep sizes and offsets
        Gen.Select(Gen.Int[0, Math.Min(63, valid.Length - 1)], Gen.Byte[0, 255], (pos, v) =>
        {
            var b = (byte[])valid.Clone();
            b[pos] = v;
            return b;
        }),
        Gen.Select(Gen.Int[0, Math.Max(0, valid.Length - 8)], Gen.OneOf(Gen.Const(0xFFFFFFFFu), Gen.Const(0x7FFFFFFFu), Gen.Const(0x80000000u), Gen.UInt), (pos, v) =>
        {
            var b = (byte[])valid.Clone();
            if (pos + 4 <= b.Length) BitConverter.TryWriteBytes(b.AsSpan(pos, 4), v);
            return b;
        }));

    /// <summary>Text mutations of <paramref name="valid"/>: numbers replaced by extreme values, plus the binary ones.</summary>
    public static Gen<byte[]> Text(string valid)
    {
        var numbers = Regex.Matches(valid, @"-?\d+(\.\d+)?([eE][-+]?\d+)?").ToArray();
        var bytes = Encoding.UTF8.GetBytes(valid);
        if (numbers.Length == 0) return Bytes(bytes);
        var edit = Gen.Select(Gen.Int[0, numbers.Length - 1].Array[1, 3], Gen.Int[0, Extremes.Length - 1].Array[3], (which, values) =>
        {
            var s = valid;
            foreach (var (m, k) in which.Distinct().OrderByDescending(i => i).Select((i, j) => (numbers[i], values[j % values.Length])))
                s = s[..m.Index] + Extremes[k] + s[(m.Index + m.Length)..];
            return Encoding.UTF8.GetBytes(s);
        });
        return Gen.Frequency((2, edit), (1, Bytes(bytes)));
    }

    /// <summary>
    /// Runs <paramref name="read"/> on <see cref="Cases"/> mutations; each case must finish within 30 s (a hang guard),
    /// throw nothing but a typed error, and leave the process under 3 GB above where it started. Returns the count.
    /// </summary>
    public static long Check(Gen<byte[]> mutations, Action<byte[]> read)
    {
        long start = Environment.WorkingSet, cases = 0;
        mutations.Sample(bytes =>
        {
            var task = Task.Run(() =>
            {
                try { read(bytes); }
                catch (Exception e) when (IsTyped(e)) { }
            });
            if (!task.Wait(TimeSpan.FromSeconds(30))) throw new TimeoutException($"a case did not finish in 30 s ({bytes.Length} bytes)");
            if (task.Exception is { } ex) throw new Xunit.Sdk.XunitException($"untyped error {ex.InnerException?.GetType().Name}: {ex.InnerException?.Message}");
            long grown = Environment.WorkingSet - start;
            if (grown > 3L << 30) throw new Xunit.Sdk.XunitException($"memory grew by {grown >> 20} MB on one case");
            Interlocked.Increment(ref cases);
        }, iter: Cases, threads: 1, print: b => $"{b.Length} bytes: {Convert.ToHexString(b.AsSpan(0, Math.Min(64, b.Length)))}");
        return cases;
    }

    /// <summary>Runs a read on bytes written to a temporary file with the given name.</summary>
    public static void ViaFile(string name, byte[] bytes, Action<string> read)
    {
        var dir = Path.Combine(Path.GetTempPath(), "tvp-fuzz-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        try
        {
            var path = Path.Combine(dir, name);
            File.WriteAllBytes(path, bytes);
            read(path);
        }
        finally { try { Directory.Delete(dir, true); } catch (IOException) { } }
    }
}
