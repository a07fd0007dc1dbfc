using Tvp.Data;
using static TorchSharp.torch;

namespace Tvp.Tests.Data;

/// <summary>A dataset of given labels whose image i is a 3×2×2 constant i/Count (for sampler and view tests).</summary>
internal sealed class LabelOnlyDataset(int[] labels, int classes) : IImageDataset
{
    /// <summary>counts[c] images of class c, classes interleaved (0,1,2,0,1,2,…) while they last.</summary>
    public static LabelOnlyDataset WithCounts(params int[] counts)
    {
        var labels = new List<int>();
        var left = (int[])counts.Clone();
        while (left.Any(n => n > 0))
            for (int c = 0; c < left.Length; c++)
                if (left[c]-- > 0) labels.Add(c);
        return new LabelOnlyDataset(labels.ToArray(), counts.Length);
    }

    public IReadOnlyList<string> Classes { get; } = Enumerable.Range(0, classes).Select(c => $"class{c}").ToArray();
    public int Count => labels.Length;
    public int LabelOf(int index) => labels[index];
    public Tensor LoadImage(int index) => full(new long[] { 3, 2, 2 }, (float)index / labels.Length);
    public string Describe(int index) => $"fake#{index}";
}
