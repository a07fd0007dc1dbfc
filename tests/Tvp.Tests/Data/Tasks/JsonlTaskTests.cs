using Tvp.Data.Tasks;
using Tvp.Models.Llava;
using static TorchSharp.torch;

namespace Tvp.Tests.Data.Tasks;

/// <summary>The JSONL task format (yes/no, counting) and lenient answer matching.</summary>
public class JsonlTaskTests
{
    private static void WritePpm(string path, byte v) =>
        File.WriteAllBytes(path, System.Text.Encoding.ASCII.GetBytes("P6\n4 4\n255\n").Concat(Enumerable.Repeat(v, 48)).ToArray());

    [Fact]
    public void Loads_yes_no_and_counting_rows_and_builds_task_batches()
    {
        using var tmp = new TempDir();
        Directory.CreateDirectory(tmp.File("img"));
        WritePpm(tmp.File("img/a.ppm"), 10);
        WritePpm(tmp.File("img/b.ppm"), 200);
        File.WriteAllText(tmp.File("task.jsonl"), """
            # POPE-style and CLEVR-style rows
            {"image": "img/a.ppm", "question": "Is there a dog in the image?", "answer": "yes", "candidates": ["no", "yes"]}

            {"image": "img/b.ppm", "question": "How many objects are there in this image? Answer with a single number.", "answer": "3", "candidates": ["1","2","3","4"]}
            {"image": "img/b.ppm", "question": "How many objects are there in this image?", "answer": "three"}
            """);
        var ds = JsonlTaskDataset.Load(tmp.File("task.jsonl"));
        Assert.Equal(3, ds.Count);
        Assert.Equal(new[] { "no", "yes", "1", "2", "3", "4", "three" }, ds.Classes);
        Assert.Equal(1, ds.LabelOf(0));
        Assert.Equal(new long[] { 3, 4, 4 }, ds.LoadImage(0).shape);
        var batch = ds.Batch(new[] { 0, 1 });
        Assert.Equal(new[] { 1, 2 }, batch.Targets);
        Assert.Equal("Is there a dog in the image?", batch.Questions[0]);
        Assert.Throws<InvalidOperationException>(() => ds.Batch(new[] { 2 }));
    }

    [Fact]
    public void Bad_rows_are_reported_with_file_and_line()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("t.jsonl"), "{\"image\":\"x.png\",\"question\":\"q\",\"answer\":\"maybe\",\"candidates\":[\"no\",\"yes\"]}\n");
        var e = Assert.Throws<InvalidDataException>(() => JsonlTaskDataset.Load(tmp.File("t.jsonl")));
        Assert.Contains("t.jsonl:1", e.Message);
        File.WriteAllText(tmp.File("u.jsonl"), "\n{\"image\":\"x.png\",\"answer\":\"no\"}\n");
        e = Assert.Throws<InvalidDataException>(() => JsonlTaskDataset.Load(tmp.File("u.jsonl")));
        Assert.Contains("u.jsonl:2", e.Message);
        Assert.Contains("question", e.Message);
    }

    [Theory]
    [InlineData("3", "3", true)]
    [InlineData("Three.", "3", true)]
    [InlineData("There are three objects.", "3", true)]
    [InlineData("3", "three", true)]
    [InlineData("four", "3", false)]
    [InlineData("Yes, there is.", "yes", true)]
    [InlineData("No", "yes", false)]
    [InlineData("", "3", false)]
    public void Counting_answers_match_leniently(string generated, string answer, bool expected) =>
        Assert.Equal(expected, AnswerMatcher.Matches(generated, answer));

    [Fact]
    public void A_llava_scores_a_jsonl_batch()
    {
        using var tmp = new TempDir();
        WritePpm(tmp.File("a.ppm"), 90);
        File.WriteAllText(tmp.File("t.jsonl"), """
            {"image": "a.ppm", "question": "Is there a dog in the image?", "answer": "no", "candidates": ["no", "yes"]}
            {"image": "a.ppm", "question": "How many objects are there in this image?", "answer": "2", "candidates": ["1","2","3"]}
            """);
        var ds = JsonlTaskDataset.Load(tmp.File("t.jsonl"));
        LlavaCheckpointWriter.WriteRandom(tmp.File("m"), seed: 1, visionSeed: 1);
        using var m = LlavaPromptable.Load(tmp.File("m"), CPU);
        using var scope = NewDisposeScope();
        var pixels = stack(new[] { ds.LoadImage(0), ds.LoadImage(1) });
        var s = m.Score(pixels, ds.Batch(new[] { 0, 1 }));
        Assert.Equal(new long[] { 2, 3 }, s.shape);
        Assert.True(s[0, 0].item<float>() < 0 && float.IsNegativeInfinity(s[0, 2].item<float>()));
        Assert.True(m.TaskLoss(pixels, ds.Batch(new[] { 0, 1 })).item<float>() > 0);
    }
}
