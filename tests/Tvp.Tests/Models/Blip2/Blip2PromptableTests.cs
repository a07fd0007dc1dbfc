using Tvp.IO;
using Tvp.Models;
using Tvp.Models.Blip2;
using Tvp.Models.Multimodal;
using Tvp.Data;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Blip2;

/// <summary>BLIP-2 (OPT, Flan-T5) and InstructBLIP (LLaMA) as promptable models, on random checkpoints sharing one vision encoder.</summary>
public sealed class Blip2PromptableTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public Blip2PromptableTests()
    {
        Blip2CheckpointWriter.WriteRandom(Dir("opt"), Blip2CheckpointWriter.TinyConfig(Blip2Kind.Blip2, Blip2CheckpointWriter.TextKind.Opt), seed: 1, visionSeed: 9);
        Blip2CheckpointWriter.WriteRandom(Dir("t5"), Blip2CheckpointWriter.TinyConfig(Blip2Kind.Blip2, Blip2CheckpointWriter.TextKind.T5), seed: 2, visionSeed: 9);
        Blip2CheckpointWriter.WriteRandom(Dir("instruct"), Blip2CheckpointWriter.TinyConfig(Blip2Kind.InstructBlip, Blip2CheckpointWriter.TextKind.Llama), seed: 3, visionSeed: 9);
    }

    private string Dir(string name) => Path.Combine(_tmp.Path, name);

    public void Dispose() => _tmp.Dispose();

    public static TheoryData<string> Families => new() { "opt", "t5", "instruct" };

    private static Tensor Canvas(int b, int seed) => rand(new long[] { b, 3, 48, 48 }, generator: new Generator((ulong)seed));

    private static readonly string[] Classes = { "cat", "dog", "horse" };

    [Theory]
    [MemberData(nameof(Families))]
    public void Gradient_reaches_the_prompt_pixels_and_loss_and_features_come_from_one_pass(string family)
    {
        using var scope = NewDisposeScope();
        using var m = (Blip2Promptable)ModelRegistry.Load(Dir(family), CPU);
        var batch = TaskBatch.Classification(Classes, new[] { 0, 2 });
        var delta = zeros(new long[] { 1, 3, 48, 48 }, requires_grad: true);
        var pixels = Canvas(2, 5) + delta;
        var (loss, features) = m.TaskLossWithFeatures(pixels, batch);
        Assert.Equal(new long[] { 2, 4, m.Net.Config.Text.HiddenSize }, features.shape);
        (loss + features.pow(2).mean()).backward();
        Assert.True(delta.grad is not null && delta.grad.abs().sum().item<float>() > 0, "no gradient reached the prompt");
        using (no_grad())
        {
            Assert.True((features - m.ImageFeatures(pixels)).abs().max().item<float>() < 1e-5, "joint features differ from ImageFeatures");
            Assert.True(Math.Abs(loss.item<float>() - m.TaskLoss(pixels, batch).item<float>()) < 1e-5, "joint loss differs from TaskLoss");
            var (_, enc) = m.TaskLossWithEncoderFeatures(pixels, batch);
            Assert.Equal(new long[] { 2, 17, 64 }, enc.shape);
            Assert.True((enc - m.EncoderFeatures(pixels)).abs().max().item<float>() < 1e-5);
        }
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Batched_or_cached_scoring_equals_naive_scoring_and_score_is_the_mean(string family)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var m = Blip2Promptable.Load(Dir(family), CPU);
        var batch = new TaskBatch(new[] { "This is a photo of a", "how many objects are there in this image?" },
            new IReadOnlyList<string>[] { Classes, new[] { "3", "four" } }, new[] { 0, 1 });
        var scores = m.Score(Canvas(2, 3), batch);
        Assert.Equal(new long[] { 2, 3 }, scores.shape);
        Assert.True(float.IsNegativeInfinity(scores[1, 2].item<float>()));
        var prompts = batch.Questions.Select(m.PromptEncoder.EncodePrompt).ToArray();
        var cands = Enumerable.Range(0, 2).Select(i => (IReadOnlyList<int[]>)batch.Candidates[i]
            .Select(c => m.PromptEncoder.EncodeAnswer(batch.Questions[i], c, m.Template.ScoreEndMarker)).ToArray()).ToArray();
        var pv = m.PixelValues(Canvas(2, 3));
        var instr = m.Net.Config.QFormerTextInput ? batch.Questions.Select(q => m.InstructionIds(q)!).ToArray() : null;
        var r = m.ScoreIds(pv, prompts, cands, instr);
        var visual = m.EncodeImages(pv, instr).Visual;
        CandidateLogLikelihoods naive = m.LanguageModel switch
        {
            ICausalLanguageModel lm => ContinuationScorer.ScoreNaive(lm, m.Merge(prompts, visual, true).Embeds, m.Merge(prompts, visual, true).Mask, cands),
            IEncoderDecoderLanguageModel ed => ContinuationScorer.ScoreNaive(ed, m.Merge(prompts, visual, false).Embeds, m.Merge(prompts, visual, false).Mask, cands),
            _ => throw new InvalidOperationException(),
        };
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < batch.Candidates[i].Count; j++)
            {
                Assert.Equal(naive.Sum[i, j], r.Sum[i, j], 4);
                Assert.Equal(r.Mean[i, j], scores[i, j].item<float>(), 4);
                Assert.Equal(r.Sum[i, j] / cands[i][j].Length, r.Mean[i, j], 9);
            }
    }

    [Fact]
    public void Checkpoints_written_with_one_vision_seed_share_the_vision_encoder_only()
    {
        var a = Checkpoint.Open(Dir("opt"));
        var b = Checkpoint.Open(Dir("instruct"));
        var visionNames = a.Names.Where(n => n.StartsWith("vision_model.")).ToArray();
        Assert.NotEmpty(visionNames);
        foreach (var n in visionNames) Assert.True(a.ReadFloat(n).allclose(b.ReadFloat(n), 0, 0), n);
        Assert.False(a.ReadFloat("query_tokens").allclose(b.ReadFloat("query_tokens"), 0, 0));
    }

    [Fact]
    public void Templates_put_the_queries_first_with_bos_after_them_and_t5_prompts_end_with_eos()
    {
        using var opt = Blip2Promptable.Load(Dir("opt"), CPU);
        var ids = opt.PromptEncoder.EncodePrompt("what is it?");
        Assert.Equal(Blip2ForConditionalGeneration.QuerySlot, ids[0]);
        Assert.Equal(1, ids[1]);                     // BOS right after the image
        Assert.Equal(4 + ids.Length - 1, opt.Net.WithImageSlots(ids).Length);
        using var t5 = Blip2Promptable.Load(Dir("t5"), CPU);
        var t = t5.PromptEncoder.EncodePrompt("what is it?");
        Assert.Equal(Blip2ForConditionalGeneration.QuerySlot, t[0]);
        Assert.DoesNotContain(1, t);                 // no BOS
        Assert.Equal(2, t[^1]);                      // EOS last
        Assert.Equal(2, t5.PromptEncoder.EncodeAnswer("what is it?", "cat", withEnd: true)[^1]);
    }

    [Fact]
    public void Generation_stops_at_the_token_limit_for_every_language_model_kind()
    {
        foreach (var f in new[] { "opt", "t5", "instruct" })
        {
            using var m = Blip2Promptable.Load(Dir(f), CPU);
            var answers = m.Generate(Canvas(2, 1), new[] { "what is it?", "how many?" }, maxNewTokens: 3);
            Assert.Equal(2, answers.Count);
            var ids = m.GenerateIds(m.PixelValues(Canvas(1, 1)), new[] { m.PromptEncoder.EncodePrompt("what is it?") }, 3,
                m.Net.Config.QFormerTextInput ? new[] { m.InstructionIds("what is it?")! } : null);
            Assert.True(ids[0].Length <= 3);
        }
    }

    [Fact]
    public void A_contradicting_config_is_reported_with_the_file_and_field()
    {
        var cfg = Path.Combine(Dir("opt"), "config.json");
        File.WriteAllText(cfg, File.ReadAllText(cfg).Replace("\"use_decoder_only_language_model\": true", "\"use_decoder_only_language_model\": false"));
        var e = Assert.Throws<InvalidDataException>(() => Blip2Config.Load(Dir("opt")));
        Assert.Contains("use_decoder_only_language_model", e.Message);
        Assert.Contains("config.json", e.Message);
    }
}
