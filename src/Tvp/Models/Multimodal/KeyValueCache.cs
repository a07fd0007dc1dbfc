using static TorchSharp.torch;

namespace Tvp.Models.Multimodal;

/// <summary>
/// The keys and values (after RoPE, per key/value head) of the tokens a decoder has already seen, with
/// which of them are real tokens (padding mask) and the position id the next token of each row gets.
/// Owns its tensors (they survive dispose scopes); dispose it when done.
/// </summary>
internal sealed class KeyValueCache : IDisposable
{
    /// <summary>Per layer: keys [B, kvHeads, T, headDim].</summary>
    public Tensor[] Keys { get; }
    /// <summary>Per layer: values [B, kvHeads, T, headDim].</summary>
    public Tensor[] Values { get; }
    /// <summary>[B, T] bool: true where the cached position is a real token.</summary>
    public Tensor KeyMask { get; }
    /// <summary>[B] int64: position id of each row's next token (= number of real tokens so far).</summary>
    public Tensor NextPosition { get; }

    public long Batch => KeyMask.shape[0];
    public long Length => KeyMask.shape[1];

    public KeyValueCache(Tensor[] keys, Tensor[] values, Tensor keyMask, Tensor nextPosition)
    {
        Keys = keys; Values = values; KeyMask = keyMask; NextPosition = nextPosition;
        foreach (var t in keys.Concat(values).Append(keyMask).Append(nextPosition)) t.DetachFromDisposeScope();
    }

    /// <summary>A cache holding only the given rows (e.g. to continue a subset of sequences).</summary>
    public KeyValueCache SelectRows(Tensor rows)
    {
        using var scope = NewDisposeScope();
        return new KeyValueCache(
            Keys.Select(k => k.index_select(0, rows)).ToArray(),
            Values.Select(v => v.index_select(0, rows)).ToArray(),
            KeyMask.index_select(0, rows), NextPosition.index_select(0, rows));
    }

    public void Dispose()
    {
        foreach (var t in Keys.Concat(Values)) t.Dispose();
        KeyMask.Dispose();
        NextPosition.Dispose();
    }
}
