using System.Text.Json;
using Tvp.Models.Multimodal;
using Tvp.IO;
using Tvp.Models.Llama;
using Tvp.Models.Llava;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Llava;

/// <summary>
/// Scoring on tiny-llava: the expected log-likelihood of a continuation is computed from the fixture's own
/// logits (prefix = ex0 prompt without its last 3 tokens, continuation = those 3 tokens).
/// </summary>
public class LlavaScoringTests
{
    /// <summary>Σ log_softmax(fixture logits[t-1])[id[t]] over the last <paramref name="k"/> positions (float64).</summary>
    internal static double FixtureLogLikelihood(Checkpoint exp, int k)
    {
        var ids = LlavaGoldenTests.Ids(exp, "ex0_input_ids_expanded");
        var logp = nn.functional.log_softmax(exp.ReadFloat("ex0_logits")[0].to(ScalarType.Float64), -1);
        double sum = 0;
        for (int t = ids.Length - k; t < ids.Length; t++) sum += logp[t - 1, ids[t]].item<double>();
        return sum;
    }

    [SharedFact]
    public void Kv_cached_scoring_reproduces_the_fixture_loglikelihood_and_equals_naive_scoring()
    {
        using var scope = NewDisposeScope();
        using var m = LlavaPromptable.Load(LlavaGoldenTests.Dir, CPU);
        var exp = Checkpoint.Open(Path.Combine(LlavaGoldenTests.Dir, "expected.safetensors"));
        var ids = LlavaGoldenTests.Ids(exp, "ex0_input_ids");                     // [1,23,57,319,88,140,7,200,31]
        var prefix = ids[..^3];
        var cands = new[] { ids[^3..], new[] { 150, 150 }, new[] { 12 }, new[] { 200, 31, 5, 9 } };
        var pixels = exp.ReadFloat("ex0_pixel_values");
        var cached = m.ScoreIds(pixels, new[] { prefix }, new[] { cands });
        double expected = FixtureLogLikelihood(exp, 3);
        Assert.True(Math.Abs(cached.Sum[0, 0] - expected) < 1e-4, $"sum {cached.Sum[0, 0]} vs fixture {expected}");
        Assert.True(Math.Abs(cached.Mean[0, 0] - expected / 3) < 1e-4);
        var merged = m.Net.Merge(new[] { prefix }, m.Net.ImageFeatures(pixels), leftPad: true);
        var naive = ContinuationScorer.ScoreNaive(m.Net.LanguageModel, merged.Embeds, merged.Mask, new[] { cands });
        for (int j = 0; j < cands.Length; j++)
            Assert.True(Math.Abs(cached.Mean[0, j] - naive.Mean[0, j]) < 1e-5, $"cand {j}: cached {cached.Mean[0, j]} naive {naive.Mean[0, j]}");
        // Tiny chunks (one candidate at a time) read the same cache and give the same numbers.
        var chunked = ContinuationScorer.Score(m.Net.LanguageModel, merged.Embeds, merged.Mask, new[] { cands }, maxLogitElements: 1);
        for (int j = 0; j < cands.Length; j++) Assert.True(Math.Abs(chunked.Mean[0, j] - cached.Mean[0, j]) < 1e-6);
    }

    [SharedFact]
    public void Tvp_score_cli_reproduces_the_fixture_loglikelihood()
    {
        using var tmp = new TempDir();
        var exp = Checkpoint.Open(Path.Combine(LlavaGoldenTests.Dir, "expected.safetensors"));
        SafeTensorFile.Write(tmp.File("pixels.safetensors"), new Dictionary<string, Tensor> { ["pixel_values"] = exp.ReadFloat("ex0_pixel_values") });
        var (code, stdout, stderr) = CliRunner.Run("score", "--model", LlavaGoldenTests.Dir, "--pixels", tmp.File("pixels.safetensors"),
            "--input-ids", "1,23,57,319,88,140", "--candidate-ids", "7,200,31;150,150", "--json");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var c = doc.RootElement.GetProperty("candidates");
        Assert.Equal(2, c.GetArrayLength());
        double expected = FixtureLogLikelihood(exp, 3);
        Assert.True(Math.Abs(c[0].GetProperty("sum_logprob").GetDouble() - expected) < 1e-4, stdout);
        Assert.True(Math.Abs(c[0].GetProperty("mean_logprob").GetDouble() - expected / 3) < 1e-4, stdout);
        Assert.Equal(new[] { 7, 200, 31 }, c[0].GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()));
    }

    [SharedFact]
    public void Tvp_score_cli_on_tiny_llama_reproduces_ll_expectations()
    {
        var dir = SharedData.Path("fixtures", "tiny-llama");
        var (code, stdout, stderr) = CliRunner.Run("score", "--model", dir, "--input-ids", "1,45,187,9,263,77",
            "--candidate-ids", "12,300,5;150,150,150,150;2;88,17,240,61,3", "--json");
        Assert.True(code == 0, stderr);
        var exp = Checkpoint.Open(Path.Combine(dir, "expected.safetensors"));
        var expMean = exp.Read("ll_mean_logprob").data<double>().ToArray();
        using var doc = JsonDocument.Parse(stdout);
        var c = doc.RootElement.GetProperty("candidates");
        for (int j = 0; j < 4; j++) Assert.True(Math.Abs(c[j].GetProperty("mean_logprob").GetDouble() - expMean[j]) < 1e-4, stdout);
    }

    [SharedFact]
    public void Tvp_score_cli_reports_bad_input_clearly()
    {
        var (code, _, stderr) = CliRunner.Run("score", "--model", LlavaGoldenTests.Dir, "--input-ids", "1,2", "--candidate-ids", "3");
        Assert.Equal(2, code);
        Assert.Contains("--image", stderr);
    }
}

/// <summary>Runs the tvp command tree in-process with its own stdout/stderr writers (the process console is never swapped).</summary>
internal static class CliRunner
{
    public static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        var (o, e) = (new StringWriter(), new StringWriter());
        int code = Tvp.Cli.CliApp.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }
}
