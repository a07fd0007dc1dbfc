using Tvp.Models.Multimodal;
using Tvp.IO;
using Tvp.Models.Llama;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Llama;

/// <summary>tiny-llama fixture: logits, layer outputs and continuation log-likelihoods to 1e-4.</summary>
public class LlamaGoldenTests
{
    private static string Dir => SharedData.Path("fixtures", "tiny-llama");

    internal static double MaxAbs(Tensor a, Tensor b) => (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max().item<double>();

    [SharedFact]
    public void Logits_and_hidden_states_match_the_fixture()
    {
        using var scope = NewDisposeScope();
        using var lm = LlamaForCausalLM.Load(Dir);
        var exp = Checkpoint.Open(Path.Combine(Dir, "expected.safetensors"));
        var ids = exp.Read("input_ids");
        using var _ = no_grad();
        var layers = new List<Tensor>();
        var (hidden, _) = lm.Decoder.Forward(lm.Decoder.Embed(ids), layerOutputs: layers);
        var logits = lm.Logits(hidden);
        Assert.Equal(new long[] { 2, 12, 320 }, logits.shape);
        Assert.True(MaxAbs(logits, exp.ReadFloat("logits")) < 1e-4, $"logits differ by {MaxAbs(logits, exp.ReadFloat("logits"))}");
        var expLayers = exp.ReadFloat("layer_outputs");
        for (int i = 0; i < 3; i++)
            Assert.True(MaxAbs(layers[i], expLayers[i]) < 1e-4, $"layer output {i} differs by {MaxAbs(layers[i], expLayers[i])}");
        Assert.True(MaxAbs(hidden, exp.ReadFloat("last_hidden_state")) < 1e-4);
    }

    internal static (int[] Prefix, int[][] Continuations) ReadLlCase(Checkpoint exp)
    {
        var prefix = exp.Read("ll_prefix_ids").data<long>().Select(v => (int)v).ToArray();
        var cont = exp.Read("ll_continuation_ids");
        var lens = exp.Read("ll_continuation_lengths").data<long>().ToArray();
        var rows = new int[lens.Length][];
        for (int i = 0; i < lens.Length; i++)
            rows[i] = cont[i].data<long>().Take((int)lens[i]).Select(v => (int)v).ToArray();
        return (prefix, rows);
    }

    [SharedFact]
    public void Kv_cached_continuation_loglikelihoods_match_the_fixture()
    {
        using var scope = NewDisposeScope();
        using var lm = LlamaForCausalLM.Load(Dir);
        var exp = Checkpoint.Open(Path.Combine(Dir, "expected.safetensors"));
        var (prefix, conts) = ReadLlCase(exp);
        var embeds = lm.Decoder.Embed(tensor(prefix.Select(v => (long)v).ToArray()).unsqueeze(0));
        var r = ContinuationScorer.Score(lm, embeds, null, new[] { conts });
        var expSum = exp.Read("ll_sum_logprob").data<double>().ToArray();
        var expMean = exp.Read("ll_mean_logprob").data<double>().ToArray();
        for (int j = 0; j < conts.Length; j++)
        {
            Assert.True(Math.Abs(r.Sum[0, j] - expSum[j]) < 1e-4, $"sum {j}: {r.Sum[0, j]} vs {expSum[j]}");
            Assert.True(Math.Abs(r.Mean[0, j] - expMean[j]) < 1e-4, $"mean {j}: {r.Mean[0, j]} vs {expMean[j]}");
        }
    }

    [SharedFact]
    public void Kv_cached_scoring_equals_full_sequence_scoring_with_ragged_padded_prompts()
    {
        using var scope = NewDisposeScope();
        using var lm = LlamaForCausalLM.Load(Dir);
        var exp = Checkpoint.Open(Path.Combine(Dir, "expected.safetensors"));
        var (prefix, conts) = ReadLlCase(exp);
        // Row 0: the fixture prefix; row 1: a shorter prompt, left-padded, with only two candidates.
        var ids = tensor(new long[] { 1, 45, 187, 9, 263, 77, 0, 0, 1, 200, 31, 5 }, new long[] { 2, 6 });
        var mask = tensor(new[] { true, true, true, true, true, true, false, false, true, true, true, true }, new long[] { 2, 6 });
        var embeds = lm.Decoder.Embed(ids);
        var cands = new IReadOnlyList<int[]>[] { conts, new[] { conts[3], conts[0] } };
        var cached = ContinuationScorer.Score(lm, embeds, mask, cands);
        var naive = ContinuationScorer.ScoreNaive(lm, embeds, mask, cands);
        var expMean = exp.Read("ll_mean_logprob").data<double>().ToArray();
        for (int j = 0; j < 4; j++) Assert.True(Math.Abs(cached.Mean[0, j] - expMean[j]) < 1e-4, $"padded batch row 0 cand {j}");
        for (int r = 0; r < 2; r++)
            for (int j = 0; j < 4; j++)
            {
                if (r == 1 && j >= 2) { Assert.Equal(double.NegativeInfinity, cached.Mean[r, j]); continue; }
                Assert.True(Math.Abs(cached.Mean[r, j] - naive.Mean[r, j]) < 1e-5, $"row {r} cand {j}: cached {cached.Mean[r, j]} naive {naive.Mean[r, j]}");
            }
        // Row 1 alone, unpadded, gives the same numbers as in the padded batch (positions follow real tokens).
        var alone = ContinuationScorer.Score(lm, lm.Decoder.Embed(tensor(new long[] { 1, 200, 31, 5 }).unsqueeze(0)), null, new[] { cands[1] });
        for (int j = 0; j < 2; j++) Assert.True(Math.Abs(alone.Mean[0, j] - cached.Mean[1, j]) < 1e-5, $"left padding changed cand {j}");
    }

    [SharedFact]
    public void Right_and_left_padding_give_the_unpadded_logits_at_real_positions()
    {
        using var scope = NewDisposeScope();
        using var lm = LlamaForCausalLM.Load(Dir);
        using var _ = no_grad();
        var seq = new long[] { 1, 45, 187, 9, 263 };
        var reference = lm.Forward(tensor(seq).unsqueeze(0))[0];                              // [5, V]
        var right = tensor(seq.Concat(new long[] { 0, 0 }).ToArray()).unsqueeze(0);
        var rightMask = tensor(new[] { true, true, true, true, true, false, false }).unsqueeze(0);
        var left = tensor(new long[] { 0, 0 }.Concat(seq).ToArray()).unsqueeze(0);
        var leftMask = tensor(new[] { false, false, true, true, true, true, true }).unsqueeze(0);
        var r = lm.Forward(right, rightMask)[0].narrow(0, 0, 5);
        var l = lm.Forward(left, leftMask)[0].narrow(0, 2, 5);
        Assert.True(MaxAbs(r, reference) < 1e-5, $"right padding moved logits by {MaxAbs(r, reference)}");
        Assert.True(MaxAbs(l, reference) < 1e-5, $"left padding moved logits by {MaxAbs(l, reference)}");
        // Without the mask, left padding must change the result (the test can fail).
        var unmasked = lm.Forward(left)[0].narrow(0, 2, 5);
        Assert.True(MaxAbs(unmasked, reference) > 1e-3);
    }

    [Fact]
    public void Config_reads_gqa_head_dim_and_linear_rope_scaling()
    {
        using var doc = System.Text.Json.JsonDocument.Parse("""
            {"vocab_size":10,"hidden_size":64,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":8,
             "num_key_value_heads":2,"rope_scaling":{"type":"linear","factor":2.0},"eos_token_id":[2,3]}
            """);
        var c = LlamaConfig.FromJson(doc.RootElement);
        Assert.Equal(8, c.HeadDim);
        Assert.Equal(2, c.NumKeyValueHeads);
        Assert.Equal(2.0, c.RopeLinearFactor);
        Assert.Equal(2, c.EosTokenId);
        using var bad = System.Text.Json.JsonDocument.Parse("""{"vocab_size":10,"hidden_size":64,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":8,"rope_scaling":{"type":"yarn","factor":2.0}}""");
        Assert.Throws<InvalidDataException>(() => LlamaConfig.FromJson(bad.RootElement));
    }
}
