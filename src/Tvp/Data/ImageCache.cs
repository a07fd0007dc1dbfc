using static TorchSharp.torch;

namespace Tvp.Data;

/// <summary>
/// Keeps decoded images in memory up to a byte budget (small images such as CIFAR-10 are decoded once, not
/// once per epoch and per model). Thread-safe.
/// </summary>
public sealed class ImageCache : IDisposable
{
    private readonly IImageDataset _data;
    private readonly Dictionary<int, Tensor> _cache = new();
    private readonly long _budget;
    private long _used;

    /// <summary>Caches images of <paramref name="data"/> up to <paramref name="budgetBytes"/> (default 2 GiB).</summary>
    public ImageCache(IImageDataset data, long budgetBytes = 2L << 30)
    {
        _data = data;
        _budget = budgetBytes;
    }

    /// <summary>The decoded image (a tensor the caller must NOT dispose when cached; use <see cref="Get"/> results read-only).</summary>
    public Tensor Get(int index)
    {
        lock (_cache)
            if (_cache.TryGetValue(index, out var t)) return t.alias();
        var img = _data.LoadImage(index);
        long bytes = img.numel() * 4;
        lock (_cache)
        {
            if (_used + bytes <= _budget && !_cache.ContainsKey(index))
            {
                var keep = img.detach().clone();
                keep.DetachFromDisposeScope();
                _cache[index] = keep;
                _used += bytes;
            }
        }
        return img;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_cache)
        {
            foreach (var t in _cache.Values) t.Dispose();
            _cache.Clear();
        }
    }
}
