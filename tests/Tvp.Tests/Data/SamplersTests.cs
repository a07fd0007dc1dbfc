using Tvp.Data;

namespace Tvp.Tests.Data;

public class SamplersTests
{
    private static readonly LabelOnlyDataset Data = LabelOnlyDataset.WithCounts(50, 30, 7, 1, 12);

    private static int[] PerClass(IReadOnlyList<int> indices, IImageDataset ds)
    {
        var counts = new int[ds.Classes.Count];
        foreach (var i in indices) counts[ds.LabelOf(i)]++;
        return counts;
    }

    private static void AssertValidSubset(IReadOnlyList<int> indices, int count)
    {
        Assert.Equal(indices.Count, indices.Distinct().Count());        // no duplicates
        Assert.All(indices, i => Assert.InRange(i, 0, count - 1));
        Assert.Equal(indices.OrderBy(i => i), indices);                   // ascending
    }

    [Fact]
    public void Shuffle_IsSeededPermutation()
    {
        var a = Samplers.Shuffle(100, 42);
        Assert.Equal(Enumerable.Range(0, 100), a.OrderBy(i => i));
        Assert.Equal(a, Samplers.Shuffle(100, 42));
        Assert.NotEqual(a, Samplers.Shuffle(100, 43));
        Assert.NotEqual(Enumerable.Range(0, 100), a);
        Assert.Empty(Samplers.Shuffle(0, 1));
    }

    [Fact]
    public void KPerClass_ExactCounts_NoDuplicates_Deterministic_Nested()
    {
        var ds = LabelOnlyDataset.WithCounts(50, 30, 7, 12);
        var four = Samplers.KPerClass(ds, 4, seed: 42);
        AssertValidSubset(four, ds.Count);
        Assert.Equal(new[] { 4, 4, 4, 4 }, PerClass(four, ds));
        Assert.Equal(four, Samplers.KPerClass(ds, 4, seed: 42));
        Assert.NotEqual(four, Samplers.KPerClass(ds, 4, seed: 7));
        Assert.Subset(four.ToHashSet(), Samplers.KPerClass(ds, 2, seed: 42).ToHashSet()); // k-shot sets are nested
        Assert.Equal(Enumerable.Range(0, ds.Count).Where(i => ds.LabelOf(i) == 2), Samplers.KPerClass(ds, 7, 42).Where(i => ds.LabelOf(i) == 2));
    }

    [Fact]
    public void KPerClass_ClassTooSmall_ErrorNamesIt()
    {
        var e = Assert.Throws<ArgumentException>(() => Samplers.KPerClass(Data, 2, 0));
        Assert.Contains("class 3 ('class3') has 1 images", e.Message);
    }

    [Fact]
    public void FractionPerClass_RoundsPerClassWithAtLeastOne()
    {
        var tenth = Samplers.FractionPerClass(Data, 0.1, seed: 1);
        AssertValidSubset(tenth, Data.Count);
        Assert.Equal(new[] { 5, 3, 1, 1, 1 }, PerClass(tenth, Data)); // 0.7 → 1, 0.1 → at least 1, 1.2 → 1
        Assert.Equal(new[] { 25, 15, 4, 1, 6 }, PerClass(Samplers.FractionPerClass(Data, 0.5, 1), Data)); // 3.5 → 4, 0.5 → 1
        Assert.Equal(Enumerable.Range(0, Data.Count), Samplers.FractionPerClass(Data, 1.0, 1));
        Assert.Equal(tenth, Samplers.FractionPerClass(Data, 0.1, seed: 1));
        Assert.NotEqual(tenth, Samplers.FractionPerClass(Data, 0.1, seed: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Samplers.FractionPerClass(Data, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Samplers.FractionPerClass(Data, 1.5, 1));
    }

    [Fact]
    public void TrainValidationSplit_StratifiedDisjointCovering()
    {
        var (train, val) = Samplers.TrainValidationSplit(Data, 0.2, seed: 42);
        AssertValidSubset(train, Data.Count);
        AssertValidSubset(val, Data.Count);
        Assert.Empty(train.Intersect(val));
        Assert.Equal(Enumerable.Range(0, Data.Count), train.Concat(val).OrderBy(i => i));
        Assert.Equal(new[] { 10, 6, 1, 0, 2 }, PerClass(val, Data)); // 1.4 → 1; a 1-image class stays in training
        var again = Samplers.TrainValidationSplit(Data, 0.2, seed: 42);
        Assert.Equal(train, again.Train);
        Assert.Equal(val, again.Validation);
        Assert.NotEqual(val, Samplers.TrainValidationSplit(Data, 0.2, seed: 43).Validation);
        var (_, v2) = Samplers.TrainValidationSplit(LabelOnlyDataset.WithCounts(2, 10), 0.01, 3);
        Assert.Equal(new[] { 1, 1 }, PerClass(v2, LabelOnlyDataset.WithCounts(2, 10)));   // at least one per class …
        var (t3, _) = Samplers.TrainValidationSplit(LabelOnlyDataset.WithCounts(2, 10), 0.99, 3);
        Assert.Equal(new[] { 1, 1 }, PerClass(t3, LabelOnlyDataset.WithCounts(2, 10)));   // … and one left to train on
    }

    [Fact]
    public void Limit_ProportionalAllocationWithoutReplacement()
    {
        var twenty = Samplers.Limit(Data, 20, seed: 5);
        AssertValidSubset(twenty, Data.Count);
        Assert.Equal(20, twenty.Length);
        // quotas 20·(50,30,7,1,12)/100 = 10, 6, 1.4, 0.2, 2.4 → floors 10,6,1,0,2 (19) + the largest remainder (class 2 and 4 tie at .4 → class 2)
        Assert.Equal(new[] { 10, 6, 2, 0, 2 }, PerClass(twenty, Data));
        Assert.Equal(twenty, Samplers.Limit(Data, 20, seed: 5));
        Assert.NotEqual(twenty, Samplers.Limit(Data, 20, seed: 6));
        Assert.Equal(Enumerable.Range(0, Data.Count), Samplers.Limit(Data, 1000, seed: 5));
        Assert.Empty(Samplers.Limit(Data, 0, 5));
    }

    [Fact]
    public void DatasetView_MapsIndicesAndKeepsClasses()
    {
        var view = new DatasetView(Data, new[] { 5, 0, 99 });
        Assert.Equal(3, view.Count);
        Assert.Same(Data.Classes, view.Classes);
        Assert.Equal(new[] { Data.LabelOf(5), Data.LabelOf(0), Data.LabelOf(99) }, Enumerable.Range(0, 3).Select(view.LabelOf));
        Assert.Equal("fake#99", view.Describe(2));
        using var img = view.LoadImage(0);
        Assert.Equal(5f / Data.Count, img[0, 0, 0].item<float>(), 6);
        Assert.Throws<ArgumentOutOfRangeException>(() => view.LabelOf(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DatasetView(Data, new[] { Data.Count }));
        var nested = new DatasetView(view, new[] { 2 });
        Assert.Equal("fake#99", nested.Describe(0));
    }
}
