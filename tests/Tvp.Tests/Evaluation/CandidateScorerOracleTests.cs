using Tvp.Data;
using Tvp.Evaluation;
using Tvp.Models;
using Tvp.Prompts;
using static TorchSharp.torch;

namespace Tvp.Tests.Evaluation;

/// <summary>
/// An independent oracle for <see cref="CandidateScorer"/>, through which every reported accuracy flows: hand-built
/// score tables whose top-1/top-5 are counted by hand, and random tables checked against a plain loop.
/// </summary>
public class CandidateScorerOracleTests
{
    /// <summary>Image i is the constant i/255, so a model can tell which image it sees.</summary>
    private sealed class IndexedTask(int[] labels, int classes) : ITaskDataset
    {
        public string Name => "indexed";
        public IReadOnlyList<string> Classes { get; } = Enumerable.Range(0, classes).Select(c => $"c{c}").ToArray();
        public int Count => labels.Length;
        public int LabelOf(int index) => labels[index];
        public Tensor LoadImage(int index) => full(new long[] { 3, 4, 4 }, index / 255f);
        public string Describe(int index) => $"#{index}";
        public TaskBatch BatchOf(IReadOnlyList<int> indices) => TaskBatch.Classification(Classes, indices.Select(LabelOf).ToArray());
    }

    /// <summary>Returns row i of a fixed score table for image i.</summary>
    private sealed class TableModel(float[][] table) : IPromptableModel
    {
        public ModelInfo Info { get; } = new("table", "test", 4, new[] { 0f, 0f, 0f }, new[] { 1f, 1f, 1f });
        public Device Device => CPU;
        public Tensor ImageFeatures(Tensor pixels) => pixels.flatten(1);
        public Tensor TaskLoss(Tensor pixels, TaskBatch batch) => throw new NotSupportedException();
        public Tensor Score(Tensor pixels, TaskBatch batch)
        {
            var ids = (pixels[.., 0, 0, 0] * 255f).round().to_type(ScalarType.Int64).data<long>().ToArray();
            return tensor(ids.SelectMany(i => table[i]).ToArray(), new long[] { ids.Length, table[0].Length }); // [B, C]
        }
        public void Dispose() { }
    }

    /// <summary>A row of 7 distinct scores in which <paramref name="target"/> has rank <paramref name="rank"/> (0 = best).</summary>
    private static float[] RowWithRank(int target, int rank, int classes = 7)
    {
        var others = Enumerable.Range(0, classes).Where(c => c != target).ToList();
        others.Insert(rank, target); // order best → worst
        var row = new float[classes];
        for (int r = 0; r < classes; r++) row[others[r]] = 10 - r;
        return row;
    }

    private static EvaluationResult Score(int[] labels, float[][] table, int batchSize, int classes = 7)
    {
        var data = new IndexedTask(labels, classes);
        var batches = new CanvasBatches(data, new CanvasPipeline(4, 4));
        using var model = new TableModel(table);
        return CandidateScorer.Evaluate(new IPromptableModel[] { model }, new[] { new CandidateScorer.NamedPrompt("none", null) },
            batches, Enumerable.Range(0, labels.Length).ToArray(), batchSize)[0];
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(12)]
    public void TopOneAndTopFiveOnCraftedScores(int batchSize)
    {
        int[] labels = { 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4 };
        int[] ranks = { 0, 0, 1, 4, 5, 6, 0, 2, 3, 0, 6, 5 };
        var table = labels.Select((t, i) => RowWithRank(t, ranks[i])).ToArray();
        var r = Score(labels, table, batchSize);
        // Counted by hand: rank 0 at images 0, 1, 6, 9 → 4/12; rank < 5 at 0, 1, 2, 3, 6, 7, 8, 9 → 8/12.
        Assert.Equal(4.0 / 12, r.Top1, 12);
        Assert.Equal(8.0 / 12, r.Top5!.Value, 12);
        Assert.Equal(12, r.Count);
        // The predicted candidate is the one scored 10 in each row.
        Assert.Equal(table.Select(row => Array.IndexOf(row, 10f)).ToArray(), r.Predictions);
    }

    [Fact]
    public void NoTopFiveWithFiveOrFewerCandidates()
    {
        int[] labels = { 0, 1, 2 };
        var table = new[] { new[] { 3f, 1f, 2f }, new[] { 3f, 1f, 2f }, new[] { 0f, 1f, 2f } };
        var r = Score(labels, table, 2, classes: 3);
        Assert.Equal(2.0 / 3, r.Top1, 12);
        Assert.Null(r.Top5);
    }

    [Fact]
    public void RandomScoresAgreeWithAPlainLoop()
    {
        var rng = new Random(11);
        const int n = 97, classes = 9;
        var labels = Enumerable.Range(0, n).Select(_ => rng.Next(classes)).ToArray();
        var table = Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, classes).Select(_ => (float)rng.NextDouble()).ToArray()).ToArray();
        int top1 = 0, top5 = 0;
        for (int i = 0; i < n; i++)
        {
            int better = 0; // candidates scored strictly above the target
            for (int c = 0; c < classes; c++) if (table[i][c] > table[i][labels[i]]) better++;
            if (better == 0) top1++;
            if (better < 5) top5++;
        }
        var r = Score(labels, table, 16, classes);
        Assert.Equal((double)top1 / n, r.Top1, 12);
        Assert.Equal((double)top5 / n, r.Top5!.Value, 12);
    }
}
