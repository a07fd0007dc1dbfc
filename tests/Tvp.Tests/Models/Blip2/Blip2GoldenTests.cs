using Tvp.IO;
using Xunit.Abstractions;
using Tvp.Models.Blip2;
using Tvp.Models.Llama;
using Tvp.Models.Multimodal;
using Tvp.Models.T5;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Blip2;

/// <summary>
/// The tiny-blip2-opt, tiny-blip2-t5 and tiny-instructblip-llama fixtures: every expected tensor to 1e-4
/// (max abs difference of each printed in the test output).
/// </summary>
public sealed class Blip2GoldenTests(ITestOutputHelper output)
{
    private static string Dir(string name) => SharedData.Path("fixtures", name);

    private static (Blip2ForConditionalGeneration Model, Checkpoint Inputs, Checkpoint Expected) Open(string fixture) =>
        (Blip2ForConditionalGeneration.Load(Dir(fixture)),
         Checkpoint.Open(Path.Combine(Dir(fixture), "inputs.safetensors")),
         Checkpoint.Open(Path.Combine(Dir(fixture), "expected.safetensors")));

    /// <summary>Vision + Q-Former + projection tensors common to all three fixtures.</summary>
    private static Tensor CheckFrontEnd(Blip2ForConditionalGeneration m, Checkpoint inputs, GoldenComparison g, Tensor? qIds = null, Tensor? qMask = null)
    {
        var pixels = inputs.ReadFloat("pixel_values");
        g.Check("vision_embeddings", m.VisionModel.Embeddings(pixels));
        var image = m.VisionModel.forward(pixels);
        g.Check("vision_last_hidden_state", image);
        g.Check("vision_pooler_output", m.VisionModel.Pooler(image));
        var queries = m.QueryTokens.expand(pixels.shape[0], -1, -1);
        g.Check("qformer_embedding_output", m.QFormer.EmbeddingOutput(queries, qIds));
        g.Check("qformer_last_hidden_state", m.QFormerOutput(image, qIds, qMask));
        var (_, visual) = m.Encode(pixels, qIds, qMask);
        g.Check("language_model_inputs", visual);
        return visual;
    }

    private static IReadOnlyList<int[]> Candidates(Checkpoint inputs) => GoldenComparison.Rows(inputs.Read("candidate_ids"));

    /// <summary>[B,C,L] per-token log-probs from the candidate scorer's sums: the fixture's token table is checked through its sums and means.</summary>
    private static void CheckDecoderOnly(Blip2ForConditionalGeneration m, Checkpoint inputs, GoldenComparison g, Tensor visual, Tensor? qIds, Tensor? qMask)
    {
        var lm = (ICausalLanguageModel)m.LanguageModel;
        var prompts = GoldenComparison.Rows(inputs.Read("input_ids"));
        var merged = m.Merge(prompts, visual, leftPad: false);
        g.Check("inputs_embeds", merged.Embeds);
        var (hidden, _) = lm.Forward(merged.Embeds, merged.Mask);
        g.Check("lm_last_hidden_state", hidden);
        g.Check("logits", lm.Logits(hidden));
        var pixels = inputs.ReadFloat("pixel_values");
        var full = GoldenComparison.Rows(inputs.Read("labels_input_ids"));
        g.Check("labels_logits", m.Forward(full, pixels, qIds, qMask));
        var answers = GoldenComparison.Rows(inputs.Read("labels"));
        var loss = AnswerLoss.DecoderOnly(lm, m.Merge(full, visual, leftPad: false), answers);
        g.Check("loss", loss.reshape(1));
        var cands = Candidates(inputs);
        var perRow = prompts.Select(_ => (IReadOnlyList<int[]>)cands).ToArray();
        var left = m.Merge(prompts, visual, leftPad: true);
        var cached = ContinuationScorer.Score(lm, left.Embeds, left.Mask, perRow);
        g.Check("candidate_sum_logprob", cached.Sum);
        g.Check("candidate_mean_logprob", cached.Mean);
        var naive = ContinuationScorer.ScoreNaive(lm, left.Embeds, left.Mask, perRow);
        g.Check("candidate_sum_logprob", naive.Sum);
        g.Check("candidate_token_logprobs", TokenLogProbs(lm, left, cands));
    }

    /// <summary>Per-token log-probs [B,C,L] (0 in padded slots) by one full forward per (image, candidate).</summary>
    private static Tensor TokenLogProbs(ICausalLanguageModel lm, MergedInputs prefix, IReadOnlyList<int[]> cands)
    {
        long b = prefix.Embeds.shape[0], tp = prefix.Embeds.shape[1];
        int l = cands.Max(c => c.Length);
        var result = zeros(b, cands.Count, l, dtype: ScalarType.Float64);
        for (int i = 0; i < b; i++)
            for (int j = 0; j < cands.Count; j++)
            {
                var ids = tensor(cands[j].Select(v => (long)v).ToArray()).unsqueeze(0);
                var embeds = cat(new[] { prefix.Embeds.narrow(0, i, 1), lm.Embed(ids) }, 1);
                var (h, _) = lm.Forward(embeds);
                var logp = nn.functional.log_softmax(lm.Logits(h).to(ScalarType.Float64), -1)[0];   // [Tp+L, V]
                for (int k = 0; k < cands[j].Length; k++)
                    result[i, j, k] = logp[tp - 1 + k, cands[j][k]];
            }
        return result;
    }

    [SharedFact]
    public void Blip2_opt_matches_every_expected_tensor()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (m, inputs, exp) = Open("tiny-blip2-opt");
        using var model = m;
        var g = new GoldenComparison(exp, output);
        var visual = CheckFrontEnd(m, inputs, g);
        CheckDecoderOnly(m, inputs, g, visual, null, null);
        g.AssertAll();
    }

    [SharedFact]
    public void Instructblip_llama_matches_every_expected_tensor()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (m, inputs, exp) = Open("tiny-instructblip-llama");
        using var model = m;
        var g = new GoldenComparison(exp, output);
        var qIds = inputs.Read("qformer_input_ids");
        var qMask = inputs.Read("qformer_attention_mask").to(ScalarType.Bool);
        var visual = CheckFrontEnd(m, inputs, g, qIds, qMask);
        g.Check("qformer_query_output", m.QFormerOutput(m.VisionModel.forward(inputs.ReadFloat("pixel_values")), qIds, qMask).narrow(1, 0, m.Config.NumQueryTokens));
        CheckDecoderOnly(m, inputs, g, visual, qIds, qMask);
        var llama = m.Config.Text.Llama!;
        var (cos, sin) = new RotaryEmbedding(llama.HeadDim, llama.RopeTheta, llama.RopeLinearFactor)
            .Tables(arange(16, dtype: ScalarType.Int64).unsqueeze(0), ScalarType.Float32);         // [1, 1, 16, hd]
        g.Check("rope_cos", cos[0, 0]);
        g.Check("rope_sin", sin[0, 0]);
        g.AssertAll();
    }

    [SharedFact]
    public void Blip2_t5_matches_every_expected_tensor()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (m, inputs, exp) = Open("tiny-blip2-t5");
        using var model = m;
        var g = new GoldenComparison(exp, output);
        var visual = CheckFrontEnd(m, inputs, g);
        var t5 = (T5ForConditionalGeneration)m.LanguageModel;
        var prompts = GoldenComparison.Rows(inputs.Read("input_ids"));
        var merged = m.Merge(prompts, visual, leftPad: false);
        g.Check("inputs_embeds", merged.Embeds);
        var encoded = t5.Encode(merged.Embeds, merged.Mask);
        g.Check("encoder_last_hidden_state", encoded);
        var decIds = inputs.Read("decoder_input_ids");
        var decoded = t5.Decode(decIds, encoded, merged.Mask);
        g.Check("decoder_last_hidden_state", decoded);
        g.Check("logits", t5.Logits(decoded));
        g.Check("logits", m.Forward(prompts, inputs.ReadFloat("pixel_values"), decoderIds: decIds));
        var answers = GoldenComparison.Rows(inputs.Read("labels"));
        g.Check("loss", AnswerLoss.EncoderDecoder(t5, merged.Embeds, merged.Mask, answers).reshape(1));
        g.Check("encoder_position_bias", t5.EncoderStack.PositionBias(10, 10, CPU));
        g.Check("decoder_position_bias", t5.DecoderStack.PositionBias(4, 4, CPU));
        var c = t5.Config;
        g.CheckExact("relative_position_bucket_bidirectional_64", T5RelativePosition.Buckets(64, 64, true, c.NumBuckets, c.MaxDistance, CPU));
        g.CheckExact("relative_position_bucket_causal_64", T5RelativePosition.Buckets(64, 64, false, c.NumBuckets, c.MaxDistance, CPU));
        var cands = Candidates(inputs);
        var perRow = prompts.Select(_ => (IReadOnlyList<int[]>)cands).ToArray();
        var batched = ContinuationScorer.Score(t5, merged.Embeds, merged.Mask, perRow);
        g.Check("candidate_sum_logprob", batched.Sum);
        g.Check("candidate_mean_logprob", batched.Mean);
        var naive = ContinuationScorer.ScoreNaive(t5, merged.Embeds, merged.Mask, perRow);
        g.Check("candidate_mean_logprob", naive.Mean);
        // Per-token table: the decoder run on each candidate alone.
        int l = cands.Max(x => x.Length);
        var table = zeros(2, cands.Count, l, dtype: ScalarType.Float64);
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < cands.Count; j++)
            {
                var ids = tensor(cands[j].Select(v => (long)v).ToArray()).unsqueeze(0);
                var h = t5.Decode(ContinuationScorer.DecoderInputs(ids, t5.DecoderStartTokenId), encoded.narrow(0, i, 1), null);
                var logp = nn.functional.log_softmax(t5.Logits(h).to(ScalarType.Float64), -1)[0];
                for (int k = 0; k < cands[j].Length; k++) table[i, j, k] = logp[k, cands[j][k]];
            }
        g.Check("candidate_token_logprobs", table);
        g.AssertAll();
    }

    [SharedFact]
    public void Lavis_q_and_v_biases_load_as_the_fused_hf_bias()
    {
        using var scope = NewDisposeScope();
        using var tmp = new TempDir();
        var dir = Dir("tiny-blip2-opt");
        var src = Checkpoint.Open(dir);
        var renamed = new Dictionary<string, Tensor>();
        foreach (var name in src.Names)
        {
            var t = src.ReadFloat(name);
            if (name.EndsWith(".self_attn.qkv.bias"))
            {
                long d = t.shape[0] / 3;
                var stem = name[..^".qkv.bias".Length];
                renamed[stem + ".q_bias"] = t.narrow(0, 0, d);
                renamed[stem + ".v_bias"] = t.narrow(0, 2 * d, d);
            }
            else renamed[name] = t;
        }
        SafeTensorFile.Write(tmp.File("model.safetensors"), renamed);
        File.Copy(Path.Combine(dir, "config.json"), tmp.File("config.json"));
        using var m = Blip2ForConditionalGeneration.Load(tmp.Path);
        using var _ = no_grad();
        var inputs = Checkpoint.Open(Path.Combine(dir, "inputs.safetensors"));
        var exp = Checkpoint.Open(Path.Combine(dir, "expected.safetensors"));
        var g = new GoldenComparison(exp, output);
        g.Check("vision_last_hidden_state", m.VisionModel.forward(inputs.ReadFloat("pixel_values")));
        g.AssertAll();
    }
}
