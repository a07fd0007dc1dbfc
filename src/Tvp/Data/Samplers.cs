namespace Tvp.Data;

/// <summary>
/// Seeded, deterministic subset samplers, all WITHOUT replacement (the released TVP code samples few-shot sets with
/// replacement, which puts duplicates in them; this does not). Randomness is SplitMix64, so a seed gives the same
/// indices on every platform and .NET version. Subsets are returned as ascending source indices (wrap them in a
/// <see cref="DatasetView"/>, or call <see cref="Shuffle"/> for an order).
/// Each class draws from its own stream derived from (seed, class), so k-shot sets are nested: the 1-shot set is
/// contained in the 2-shot set of the same seed, and so on.
/// </summary>
public static class Samplers
{
    /// <summary>A random permutation of 0 … count−1 (Fisher–Yates).</summary>
    public static int[] Shuffle(int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var order = Enumerable.Range(0, count).ToArray();
        new SplitMix64(SplitMix64.Mix((ulong)(long)seed)).Shuffle(order);
        return order;
    }

    /// <summary>The image indices of each class, ascending: result[c] lists the images labelled c (labels read without decoding).</summary>
    /// <exception cref="InvalidDataException">A label is outside the class list.</exception>
    public static int[][] IndicesByClass(IImageDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var lists = Enumerable.Range(0, dataset.Classes.Count).Select(_ => new List<int>()).ToArray();
        for (int i = 0; i < dataset.Count; i++)
        {
            int label = dataset.LabelOf(i);
            if ((uint)label >= (uint)lists.Length)
                throw new InvalidDataException($"{dataset.Describe(i)}: label {label} is outside the {lists.Length} classes");
            lists[label].Add(i);
        }
        return lists.Select(l => l.ToArray()).ToArray();
    }

    /// <summary>Exactly <paramref name="k"/> images of every class (few-shot training sets).</summary>
    /// <exception cref="ArgumentException">A class has fewer than k images (the message names it).</exception>
    public static int[] KPerClass(IImageDataset dataset, int k, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        var byClass = IndicesByClass(dataset);
        for (int c = 0; c < byClass.Length; c++)
            if (byClass[c].Length < k)
                throw new ArgumentException($"class {c} ('{dataset.Classes[c]}') has {byClass[c].Length} images, fewer than k = {k}", nameof(k));
        return Pick(byClass, c => k, seed);
    }

    /// <summary>round(fraction × n_c) images of each class c (at least one where the class has any): data-efficiency studies.</summary>
    public static int[] FractionPerClass(IImageDataset dataset, double fraction, int seed)
    {
        if (!(fraction > 0 && fraction <= 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "must be in (0, 1]");
        var byClass = IndicesByClass(dataset);
        return Pick(byClass, c => byClass[c].Length == 0 ? 0 : Math.Clamp(RoundHalfUp(fraction * byClass[c].Length), 1, byClass[c].Length), seed);
    }

    /// <summary>
    /// A stratified split into disjoint training and validation indices that together cover the dataset: each class c
    /// puts round(validationFraction × n_c) images into validation, kept between 1 and n_c − 1 when n_c ≥ 2.
    /// </summary>
    public static (int[] Train, int[] Validation) TrainValidationSplit(IImageDataset dataset, double validationFraction, int seed)
    {
        if (!(validationFraction > 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "must be in (0, 1)");
        var byClass = IndicesByClass(dataset);
        int ValCount(int c)
        {
            int n = byClass[c].Length, v = RoundHalfUp(validationFraction * n);
            return n >= 2 ? Math.Clamp(v, 1, n - 1) : v;
        }
        var validation = Pick(byClass, ValCount, seed);
        var inVal = new HashSet<int>(validation);
        var train = Enumerable.Range(0, dataset.Count).Where(i => !inVal.Contains(i)).ToArray();
        return (train, validation);
    }

    /// <summary>
    /// At most <paramref name="n"/> images, spread over the classes in proportion to their sizes (largest-remainder
    /// rounding, ties to the lower class), drawn at random within each class. n ≥ Count gives every image.
    /// </summary>
    public static int[] Limit(IImageDataset dataset, int n, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var byClass = IndicesByClass(dataset);
        int total = dataset.Count;
        if (n >= total) return Enumerable.Range(0, total).ToArray();
        var counts = new int[byClass.Length];
        var remainders = new (double Rem, int Class)[byClass.Length];
        int given = 0;
        for (int c = 0; c < byClass.Length; c++)
        {
            double quota = (double)n * byClass[c].Length / total;
            counts[c] = (int)Math.Floor(quota);
            given += counts[c];
            remainders[c] = (quota - counts[c], c);
        }
        foreach (var (_, c) in remainders.OrderByDescending(r => r.Rem).ThenBy(r => r.Class).Take(n - given))
            counts[c]++;
        return Pick(byClass, c => counts[c], seed);
    }

    /// <summary>Takes count(c) random images of each class c, each class from its own stream; returns them ascending.</summary>
    private static int[] Pick(int[][] byClass, Func<int, int> count, int seed)
    {
        var picked = new List<int>();
        for (int c = 0; c < byClass.Length; c++)
        {
            int take = count(c);
            if (take == 0) continue;
            var order = (int[])byClass[c].Clone();
            SplitMix64.For((ulong)(long)seed, c).Shuffle(order);
            picked.AddRange(order.Take(take));
        }
        picked.Sort();
        return picked.ToArray();
    }

    private static int RoundHalfUp(double x) => (int)Math.Round(x, MidpointRounding.AwayFromZero);
}
