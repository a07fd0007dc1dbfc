using System.Diagnostics;

namespace Tvp.Models.Onnx;

/// <summary>
/// Wall time per op type across <see cref="OnnxGraph"/> runs (libtorch's CPU ops are synchronous, so the time
/// around a node's call is that node's). Fused nodes count under their fused name (e.g. "Conv+Relu"); "(run
/// overhead)" is what a run spent outside the nodes: input preparation, planning, freeing intermediates.
/// </summary>
internal sealed class OnnxProfile
{
    /// <summary>The bucket for a run's time outside its nodes.</summary>
    public const string Overhead = "(run overhead)";

    private readonly Dictionary<string, (int Calls, TimeSpan Time)> _byOp = new(StringComparer.Ordinal);

    /// <summary>When true, nodes are keyed by op type and operand shapes (e.g. "Conv [16,64,56,56] [64,64,3,3]").</summary>
    public bool ByShape { get; init; }

    /// <summary>Runs recorded.</summary>
    public int Runs { get; private set; }

    /// <summary>Adds one node's time.</summary>
    public void Record(string op, TimeSpan time)
    {
        var (calls, total) = _byOp.GetValueOrDefault(op);
        _byOp[op] = (calls + 1, total + time);
    }

    /// <summary>Adds one run: its total wall time; what its nodes did not account for goes to <see cref="Overhead"/>.</summary>
    public void RecordRun(TimeSpan total, TimeSpan inNodes)
    {
        Runs++;
        var (calls, t) = _byOp.GetValueOrDefault(Overhead);
        _byOp[Overhead] = (calls + 1, t + (total - inNodes));
    }

    /// <summary>Per op type: calls and total time, largest first.</summary>
    public IReadOnlyList<(string Op, int Calls, TimeSpan Time)> Totals() =>
        _byOp.Select(kv => (kv.Key, kv.Value.Calls, kv.Value.Time)).OrderByDescending(r => r.Time).ToList();

    /// <summary>Forgets everything recorded.</summary>
    public void Clear()
    {
        _byOp.Clear();
        Runs = 0;
    }

    /// <summary>A start timestamp for <see cref="Since"/>.</summary>
    public static long Now() => Stopwatch.GetTimestamp();

    /// <summary>Time since <paramref name="start"/>.</summary>
    public static TimeSpan Since(long start) => Stopwatch.GetElapsedTime(start);
}
