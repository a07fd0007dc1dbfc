using Tvp.Models;
using Tvp.Models.Llava;
using Tvp.Data;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Llava;

/// <summary>LLaVA as a promptable model, on a random checkpoint written with its word-level tokenizer.</summary>
public class LlavaPromptableTests : IDisposable
{
    private readonly TempDir _tmp = new();
    private readonly string _dir;

    public LlavaPromptableTests()
    {
        _dir = Path.Combine(_tmp.Path, "rand-llava");
        LlavaCheckpointWriter.WriteRandom(_dir, seed: 3, visionSeed: 4);
    }

    public void Dispose() => _tmp.Dispose();

    private static Tensor Canvas(int b, int seed) => rand(new long[] { b, 3, 48, 48 }, generator: new Generator((ulong)seed));

    [Fact]
    public void Family_recognises_loads_and_discovers_the_checkpoint()
    {
        var fam = new LlavaFamily();
        Assert.True(fam.CanLoad(_dir));
        Assert.False(fam.CanLoad(_tmp.Path));
        var e = Assert.Single(fam.Discover(_tmp.Path));
        Assert.Equal("rand-llava", e.Name);
        using var m = fam.Load(_dir, CPU);
        Assert.Equal(32, m.Info.InputSize);
        Assert.Equal("bicubic", m.Info.Interpolation);
        Assert.Equal(ModelInfo.ClipMean, m.Info.Mean);
    }

    [Fact]
    public void Template_and_tokenizer_build_the_llava_prompt_ids()
    {
        using var m = LlavaPromptable.Load(_dir, CPU);
        var vocab = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "tokenizer.json")))
            .RootElement.GetProperty("model").GetProperty("vocab");
        int Id(string w) => vocab.GetProperty(w).GetInt32();
        var ids = m.PromptEncoder.EncodePrompt("This is a photo of a");
        int img = m.Net.Config.ImageTokenIndex;
        Assert.Equal(new[] { 1, Id("user"), Id(":"), img, Id("this"), Id("is"), Id("a"), Id("photo"), Id("of"), Id("a"), Id("assistant"), Id(":") }, ids);
        Assert.Equal(new[] { Id("cat"), 2 }, m.PromptEncoder.EncodeAnswer("This is a photo of a", "cat", withEnd: true));
        Assert.Equal(new[] { Id("cat") }, m.PromptEncoder.EncodeAnswer("This is a photo of a", "cat", withEnd: false));
    }

    [Fact]
    public void Task_loss_is_cross_entropy_on_answer_tokens_only()
    {
        using var scope = NewDisposeScope();
        using var m = LlavaPromptable.Load(_dir, CPU);
        using var _ = no_grad();
        var classes = new[] { "cat", "dog", "horse" };
        var batch = new TaskBatch(new[] { "This is a photo of a", "How many objects are there in this image?" },
            new IReadOnlyList<string>[] { classes, new[] { "3", "four" } }, new[] { 0, 1 });
        var canvas = Canvas(2, 1);
        var loss = m.TaskLoss(canvas, batch).item<float>();
        // Reference: HF-style labels (-100 on prompt + image positions), logits of the full sequence, shifted CE.
        var pv = m.PixelValues(canvas);
        double total = 0; int count = 0;
        for (int b = 0; b < 2; b++)
        {
            var prompt = m.PromptEncoder.EncodePrompt(batch.Questions[b]);
            var answer = m.PromptEncoder.EncodeAnswer(batch.Questions[b], batch.Candidates[b][batch.Targets[b]], withEnd: true);
            var full = prompt.Concat(answer).ToArray();
            var logits = m.Net.Forward(new[] { full }, pv.narrow(0, b, 1))[0];                   // [T', V]
            var expanded = m.Net.ExpandImageTokens(full);
            var labels = expanded.Select((id, i) => i >= expanded.Length - answer.Length ? (long)id : -100L).ToArray();
            var ce = nn.functional.cross_entropy(logits.narrow(0, 0, logits.shape[0] - 1), tensor(labels[1..]), ignore_index: -100, reduction: nn.Reduction.Sum);
            total += ce.item<float>(); count += answer.Length;
        }
        Assert.True(Math.Abs(loss - total / count) < 1e-4, $"loss {loss} vs reference {total / count}");
        // Changing the unscored prompt text changes the loss only through the context, and a different target changes it.
        var other = new TaskBatch(batch.Questions, batch.Candidates, new[] { 1, 0 });
        Assert.NotEqual(loss, m.TaskLoss(canvas, other).item<float>(), 3);
    }

    [Fact]
    public void Gradient_reaches_the_prompt_pixels_through_the_whole_mllm()
    {
        using var scope = NewDisposeScope();
        using var m = LlavaPromptable.Load(_dir, CPU);
        var delta = zeros(new long[] { 1, 3, 48, 48 }, requires_grad: true);
        var canvas = Canvas(1, 2) + delta;
        var loss = m.TaskLoss(canvas, TaskBatch.Classification(new[] { "cat", "dog" }, new[] { 1 }));
        loss.backward();
        var g = delta.grad;
        Assert.NotNull(g);
        Assert.True(g!.abs().sum().item<float>() > 0, "no gradient on the prompt");
        Assert.True(g.isfinite().all().item<bool>());
        Assert.All(m.Net.parameters(), p => Assert.Null(p.grad));
    }

    [Fact]
    public void Score_returns_mean_logprobs_per_row_padding_missing_candidates_with_minus_infinity()
    {
        using var scope = NewDisposeScope();
        using var m = LlavaPromptable.Load(_dir, CPU);
        var batch = new TaskBatch(new[] { "This is a photo of a", "Is there a dog in the image?" },
            new IReadOnlyList<string>[] { new[] { "cat", "dog", "ship" }, new[] { "no", "yes" } }, new[] { 0, 1 });
        var canvas = Canvas(2, 5);
        var s = m.Score(canvas, batch);
        Assert.Equal(new long[] { 2, 3 }, s.shape);
        Assert.Equal(float.NegativeInfinity, s[1, 2].item<float>());
        // Each row equals scoring that row alone (left padding of the shorter prompt does not move it).
        for (int b = 0; b < 2; b++)
        {
            var alone = m.Score(canvas.narrow(0, b, 1), batch.Slice(b, 1));
            for (int j = 0; j < batch.Candidates[b].Count; j++)
                Assert.True(Math.Abs(alone[0, j].item<float>() - s[b, j].item<float>()) < 1e-4, $"row {b} cand {j}");
        }
        // Mean log-prob = log p of the single-token answer after the prompt.
        var prompt = m.PromptEncoder.EncodePrompt(batch.Questions[0]);
        var logits = m.Net.Forward(new[] { prompt }, m.PixelValues(canvas.narrow(0, 0, 1)))[0];
        var lp = nn.functional.log_softmax(logits[-1], -1);
        var cat = m.PromptEncoder.EncodeAnswer(batch.Questions[0], "cat", false)[0];
        Assert.True(Math.Abs(lp[cat].item<float>() - s[0, 0].item<float>()) < 1e-4);
    }

    [Fact]
    public void Generation_is_greedy_and_stops_at_the_token_limit()
    {
        using var scope = NewDisposeScope();
        using var m = LlavaPromptable.Load(_dir, CPU);
        var canvas = Canvas(1, 7);
        var prompt = m.PromptEncoder.EncodePrompt("How many objects are there in this image?");
        var ids = m.GenerateIds(m.PixelValues(canvas), new[] { prompt }, 4)[0];
        Assert.InRange(ids.Length, 0, 4);
        // Greedy check without a cache: each generated token is the argmax of a full forward.
        var seq = prompt.ToList();
        using var _ = no_grad();
        foreach (var id in ids)
        {
            var logits = m.Net.Forward(new[] { seq.ToArray() }, m.PixelValues(canvas))[0];
            Assert.Equal(logits[-1].argmax().item<long>(), id);
            seq.Add(id);
        }
        Assert.NotNull(m.Generate(canvas, new[] { "How many objects are there in this image?" }, 3)[0]);
    }

    [Fact]
    public void Different_vision_seeds_give_different_towers_and_the_same_language_model()
    {
        var other = Path.Combine(_tmp.Path, "other");
        LlavaCheckpointWriter.WriteRandom(other, seed: 3, visionSeed: 5);
        var a = Tvp.IO.Checkpoint.Open(_dir);
        var b = Tvp.IO.Checkpoint.Open(other);
        const string v = "vision_tower.vision_model.encoder.layers.0.self_attn.q_proj.weight";
        const string t = "language_model.model.layers.0.self_attn.q_proj.weight";
        Assert.False(a.ReadFloat(v).allclose(b.ReadFloat(v)));
        Assert.True(a.ReadFloat(t).allclose(b.ReadFloat(t), 0, 0));
    }
}
