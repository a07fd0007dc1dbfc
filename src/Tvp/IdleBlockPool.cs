namespace Tvp;

/// <summary>
/// The idle blocks of <see cref="TensorBlockCache"/> by size class, and the rule for handing them back to glibc: the
/// oldest go first while the idle bytes exceed the capacity, and any block left idle for a number of frees goes whatever
/// the total. Not thread-safe (the cache calls it under its lock); it never touches the memory it tracks.
/// </summary>
internal sealed class IdleBlockPool(long capacityBytes, long staleFrees)
{
    private readonly Dictionary<nuint, List<IntPtr>> _byClass = new();                // class size → idle blocks, newest last
    private readonly Dictionary<IntPtr, (long Since, nuint Size)> _since = new();     // idle block → the free that made it idle
    private readonly Queue<(IntPtr Block, long Since)> _order = new();                // oldest first; entries of blocks taken since are skipped
    private long _frees;

    /// <summary>Bytes idle now.</summary>
    public long IdleBytes { get; private set; }

    /// <summary>Most bytes idle at once.</summary>
    public long PeakIdleBytes { get; private set; }

    /// <summary>The newest idle block of the class, else of the smallest class at most twice it; (0, 0) when none.</summary>
    public (IntPtr Block, nuint Size) Take(nuint size)
    {
        nuint chosen = 0;
        if (_byClass.TryGetValue(size, out var exact) && exact.Count > 0) chosen = size;
        else
            foreach (var (c, blocks) in _byClass)
                if (blocks.Count > 0 && c > size && c <= 2 * size && (chosen == 0 || c < chosen)) chosen = c;
        if (chosen == 0) return (IntPtr.Zero, 0);
        var list = _byClass[chosen];
        var block = list[^1];
        list.RemoveAt(list.Count - 1);
        _since.Remove(block);
        IdleBytes -= (long)chosen;
        return (block, chosen);
    }

    /// <summary>
    /// Makes a freed block of class <paramref name="size"/> idle; returns the blocks to hand back to glibc (null when
    /// none): the oldest while the idle bytes exceed the capacity, any idle for the stale number of frees, and the block
    /// itself when it alone exceeds the capacity.
    /// </summary>
    public List<IntPtr>? Keep(IntPtr block, nuint size)
    {
        if ((long)size > capacityBytes) return [block];
        long now = ++_frees;
        if (!_byClass.TryGetValue(size, out var blocks)) _byClass[size] = blocks = new List<IntPtr>();
        blocks.Add(block);
        _since[block] = (now, size);
        _order.Enqueue((block, now));
        IdleBytes += (long)size;
        PeakIdleBytes = Math.Max(PeakIdleBytes, IdleBytes);
        List<IntPtr>? victims = null;
        while (_order.TryPeek(out var oldest))
        {
            if (!_since.TryGetValue(oldest.Block, out var idle) || idle.Since != oldest.Since)
            {
                _order.Dequeue(); // taken (and perhaps freed again) since
                continue;
            }
            if (IdleBytes <= capacityBytes && oldest.Since > now - staleFrees) break;
            _order.Dequeue();
            _since.Remove(oldest.Block);
            _byClass[idle.Size].Remove(oldest.Block);
            IdleBytes -= (long)idle.Size;
            (victims ??= []).Add(oldest.Block);
        }
        return victims;
    }

    /// <summary>Every idle block, which the pool then forgets.</summary>
    public List<IntPtr> TakeAll()
    {
        var all = _byClass.Values.SelectMany(b => b).ToList();
        _byClass.Clear();
        _since.Clear();
        _order.Clear();
        IdleBytes = 0;
        return all;
    }
}
