namespace Tvp.Data;

/// <summary>
/// Deterministic seed mixing (SplitMix64). <see cref="HashCode"/> is randomised per process, so it must never
/// derive seeds: a run has to be reproducible from its seed alone.
/// </summary>
public static class Seeds
{
    /// <summary>A 31-bit seed derived from the given parts.</summary>
    public static int Mix(params long[] parts)
    {
        ulong h = 0x9E3779B97F4A7C15UL;
        foreach (var p in parts)
        {
            h ^= (ulong)p + 0x9E3779B97F4A7C15UL + (h << 6) + (h >> 2);
            h = SplitMix(h);
        }
        return (int)(h & 0x7FFFFFFF);
    }

    private static ulong SplitMix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
