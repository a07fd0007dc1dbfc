using System.Text.Json;
using Tvp.IO;
using Tvp.Tests.Models.Llava;
using Tvp.Tests.Models.Llama;
using Tvp.Tests.IO.Tokenizers;
using Tvp.Tests.Data.Tasks;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Blip2;

/// <summary><c>tvp score</c> / <c>tvp generate</c> on the BLIP-2 / InstructBLIP fixtures: ids in, the fixture's candidate log-likelihoods out.</summary>
public sealed class Blip2CliTests
{
    [SharedTheory]
    [InlineData("tiny-blip2-opt")]
    [InlineData("tiny-blip2-t5")]
    [InlineData("tiny-instructblip-llama")]
    public void Tvp_score_reproduces_the_fixture_candidate_loglikelihoods(string fixture)
    {
        using var scope = NewDisposeScope();
        using var tmp = new TempDir();
        var dir = SharedData.Path("fixtures", fixture);
        var inputs = Checkpoint.Open(Path.Combine(dir, "inputs.safetensors"));
        var exp = Checkpoint.Open(Path.Combine(dir, "expected.safetensors"));
        SafeTensorFile.Write(tmp.File("pixels.safetensors"), new Dictionary<string, Tensor> { ["pixel_values"] = inputs.ReadFloat("pixel_values") });
        string Row(Tensor t) => string.Join(",", t.data<long>().Where(v => v != -100));
        var cands = GoldenComparison.Rows(inputs.Read("candidate_ids"));
        var args = new List<string> { "score", "--model", dir, "--pixels", tmp.File("pixels.safetensors"),
            "--input-ids", Row(inputs.Read("input_ids")[0]), "--candidate-ids", string.Join(";", cands.Select(c => string.Join(",", c))), "--json" };
        if (inputs.Contains("qformer_input_ids"))
            args.AddRange(new[] { "--qformer-input-ids", Row(inputs.Read("qformer_input_ids")[0]) });
        var (code, stdout, stderr) = CliRunner.Run(args.ToArray());
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var c = doc.RootElement.GetProperty("candidates");
        Assert.Equal(cands.Length, c.GetArrayLength());
        var sum = exp.ReadFloat("candidate_sum_logprob")[0];
        var mean = exp.ReadFloat("candidate_mean_logprob")[0];
        for (int j = 0; j < cands.Length; j++)
        {
            Assert.Equal(cands[j], c[j].GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()));
            Assert.True(Math.Abs(c[j].GetProperty("sum_logprob").GetDouble() - sum[j].item<float>()) < 1e-4, stdout);
            Assert.True(Math.Abs(c[j].GetProperty("mean_logprob").GetDouble() - mean[j].item<float>()) < 1e-4, stdout);
        }
    }

    [SharedFact]
    public void Instructblip_without_an_instruction_is_a_clear_error_and_generate_runs()
    {
        using var tmp = new TempDir();
        var dir = SharedData.Path("fixtures", "tiny-instructblip-llama");
        var inputs = Checkpoint.Open(Path.Combine(dir, "inputs.safetensors"));
        SafeTensorFile.Write(tmp.File("pixels.safetensors"), new Dictionary<string, Tensor> { ["pixel_values"] = inputs.ReadFloat("pixel_values") });
        var (code, _, stderr) = CliRunner.Run("score", "--model", dir, "--pixels", tmp.File("pixels.safetensors"), "--input-ids", "2,29", "--candidate-ids", "3");
        Assert.Equal(2, code);
        Assert.Contains("--qformer-input-ids", stderr);
        var (gcode, gout, gerr) = CliRunner.Run("generate", "--model", dir, "--pixels", tmp.File("pixels.safetensors"), "--input-ids", "2,29,74",
            "--qformer-input-ids", "2,15,48", "--max-new-tokens", "3", "--json");
        Assert.True(gcode == 0, gerr);
        using var doc = JsonDocument.Parse(gout);
        Assert.InRange(doc.RootElement.GetProperty("ids").GetArrayLength(), 0, 3);
    }
}
