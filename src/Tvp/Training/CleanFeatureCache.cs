using Tvp.Prompts;
using static TorchSharp.torch;

namespace Tvp.Training;

/// <summary>
/// The clean (unprompted) features FCA compares against, kept across epochs: they depend on the image view (crop and
/// flip) and the source, never on the prompt, so a view seen before is never recomputed. With <c>--augment flip</c> each
/// image has two views and with <c>--augment none</c> one, so from the second epoch on FCA costs no extra forward pass;
/// with the paper's crop+flip a view rarely repeats (hundreds of crops per image), so the trainer stores nothing then. Entries live on the
/// CPU in the features' dtype, up to a byte budget; beyond it new views are computed and not stored.
/// </summary>
public sealed class CleanFeatureCache : IDisposable
{
    private readonly Dictionary<(int Source, int Index, CanvasView View), Tensor> _entries = new();
    private readonly long _budgetBytes;

    /// <summary>A cache holding at most <paramref name="budgetBytes"/> of features (0 = off).</summary>
    public CleanFeatureCache(long budgetBytes)
    {
        if (budgetBytes < 0) throw new ArgumentException($"the clean-feature cache budget must be >= 0 bytes, got {budgetBytes}");
        _budgetBytes = budgetBytes;
    }

    /// <summary>Rows served from the cache so far.</summary>
    public long Hits { get; private set; }
    /// <summary>Rows computed so far.</summary>
    public long Misses { get; private set; }
    /// <summary>Bytes held.</summary>
    public long Bytes { get; private set; }

    /// <summary>
    /// Clean features of the rows of <paramref name="canvas"/> ([B,3,S,S]) for source <paramref name="source"/>: cached rows
    /// are looked up, the others computed by <paramref name="compute"/> (called once, on the missing rows only, without
    /// gradients) and stored while the budget allows. Returns [B, ...] on the canvas's device, detached.
    /// </summary>
    public Tensor Get(int source, Tensor canvas, IReadOnlyList<int> indices, IReadOnlyList<CanvasView>? views, Func<Tensor, Tensor> compute)
    {
        if (views is null || _budgetBytes == 0)
        {
            Misses += canvas.shape[0];
            using var noGrad0 = no_grad();
            return compute(canvas).detach();
        }
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var rows = new Tensor?[indices.Count];
        var missing = new List<long>();
        for (int i = 0; i < indices.Count; i++)
        {
            if (_entries.TryGetValue((source, indices[i], views[i]), out var hit)) rows[i] = hit;
            else missing.Add(i);
        }
        Hits += indices.Count - missing.Count;
        Misses += missing.Count;
        if (missing.Count > 0)
        {
            using var pick = tensor(missing.ToArray(), device: canvas.device);
            var computed = compute(canvas.index_select(0, pick)).detach();      // [M, ...]
            for (int k = 0; k < missing.Count; k++)
            {
                int i = (int)missing[k];
                var row = computed[k];
                rows[i] = row;
                long bytes = row.NumberOfElements * row.ElementSize;
                if (Bytes + bytes > _budgetBytes) continue;
                var kept = row.to(CPU).clone().DetachFromDisposeScope();
                _entries[(source, indices[i], views[i])] = kept;
                Bytes += bytes;
            }
        }
        var device = canvas.device;
        var stacked = stack(rows.Select(r => r!.device == device ? r! : r!.to(device)).ToArray()); // [B, ...]
        return stacked.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in _entries.Values) t.Dispose();
        _entries.Clear();
        Bytes = 0;
    }
}
