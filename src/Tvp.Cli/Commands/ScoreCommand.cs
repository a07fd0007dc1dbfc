using System.CommandLine;
using System.Text.Json;
using Tvp.Data;
using Tvp.IO;
using Tvp.Models;
using Tvp.Models.Llama;
using Tvp.Models.Llava;
using static TorchSharp.torch;

namespace Tvp.Cli.Commands;

/// <summary>
/// <c>tvp score</c>: the mean per-token log-likelihood of each candidate answer given an image and a
/// prompt, from a LLaVA (or text-only LLaMA) checkpoint folder. Text or token ids.
/// </summary>
internal static class ScoreCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Checkpoint folder (llava, or llama for text-only scoring).", Required = true };
        var image = new Option<string?>("--image") { Description = "Image file (JPEG/PNG/BMP/PPM); resized and normalised as the model wants." };
        var pixels = new Option<string?>("--pixels") { Description = "safetensors file with pixel_values [B,3,H,W], already normalised (first image used)." };
        var prompt = new Option<string?>("--prompt") { Description = "The question; the model's prompt template wraps it." };
        var candidates = new Option<string?>("--candidates") { Description = "Comma-separated candidate answers." };
        var inputIds = new Option<string?>("--input-ids") { Description = "Prompt token ids, comma-separated, with the image token where the image goes." };
        var candidateIds = new Option<string?>("--candidate-ids") { Description = "Candidate token ids: ids comma-separated, candidates ';'-separated." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout." };
        var cmd = new Command("score", "Score candidate answers: mean per-token log-likelihood of each candidate after the prompt (the prompt runs once; its key/value cache serves every candidate).");
        foreach (var o in new Option[] { model, image, pixels, prompt, candidates, inputIds, candidateIds, json }) cmd.Options.Add(o);
        cmd.SetAction(r => CliAction.Run(() =>
        {
            var dir = r.GetValue(model)!;
            var (labels, sums, means) = LlamaForCausalLM.IsLlamaFolder(dir)
                ? ScoreText(dir, r.GetValue(inputIds), r.GetValue(candidateIds))
                : ScoreLlava(dir, r.GetValue(image), r.GetValue(pixels), r.GetValue(prompt), r.GetValue(candidates), r.GetValue(inputIds), r.GetValue(candidateIds));
            if (r.GetValue(json))
            {
                var list = labels.Select((l, j) => l.Text is not null
                    ? (object)new { text = l.Text, mean_logprob = means[j], sum_logprob = sums[j] }
                    : new { ids = l.Ids, mean_logprob = means[j], sum_logprob = sums[j] });
                CliContext.Out.WriteLine(JsonSerializer.Serialize(new { candidates = list }));
            }
            else
            {
                int best = Array.IndexOf(means, means.Max());
                for (int j = 0; j < labels.Length; j++)
                    CliContext.Out.WriteLine($"{(j == best ? "*" : " ")} {means[j],12:F6}  (sum {sums[j]:F6})  {labels[j].Text ?? string.Join(",", labels[j].Ids!)}");
            }
            return 0;
        }));
        return cmd;
    }

    internal sealed record Label(string? Text, int[]? Ids);

    /// <summary>
    /// Comma-separated token ids, each checked against the model's vocabulary (0..<paramref name="vocab"/>−1, or the
    /// image token <paramref name="imageToken"/>) before any embedding lookup sees it.
    /// </summary>
    internal static int[] ParseIds(string s, string what, int vocab, int? imageToken = null)
    {
        var ids = s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(x => int.TryParse(x, out var v) ? v : throw new FormatException($"{what}: '{x}' is not a token id")).ToArray();
        if (ids.Length == 0) throw new ArgumentException($"{what}: no token ids given");
        foreach (var id in ids)
            if ((id < 0 || id >= vocab) && id != imageToken)
                throw new ArgumentException($"{what}: token id {id} is outside the model's vocabulary (0..{vocab - 1})");
        return ids;
    }

    internal static int[][] ParseCandidateIds(string s, int vocab) => s.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(c => ParseIds(c, "--candidate-ids", vocab)).ToArray();

    private static (Label[], double[], double[]) ScoreText(string dir, string? inputIds, string? candidateIds)
    {
        if (inputIds is null || candidateIds is null)
            throw new ArgumentException($"{dir} is a text-only llama checkpoint: give --input-ids and --candidate-ids");
        using var lm = LlamaForCausalLM.Load(dir);
        using var scope = NewDisposeScope();
        var prefix = ParseIds(inputIds, "--input-ids", lm.Config.VocabSize);
        var cands = ParseCandidateIds(candidateIds, lm.Config.VocabSize);
        var embeds = lm.Decoder.Embed(tensor(prefix.Select(v => (long)v).ToArray()).unsqueeze(0));
        var r = ContinuationScorer.Score(lm, embeds, null, new[] { cands });
        return (cands.Select(c => new Label(null, c)).ToArray(), Row(r.Sum), Row(r.Mean));
    }

    private static (Label[], double[], double[]) ScoreLlava(string dir, string? image, string? pixels, string? prompt, string? candidates, string? inputIds, string? candidateIds)
    {
        using var m = LlavaModel.Load(dir, CPU);
        using var scope = NewDisposeScope();
        var pv = PixelValues(m, image, pixels);
        int vocab = m.Net.Config.Text.VocabSize;
        var promptIds = inputIds is not null ? ParseIds(inputIds, "--input-ids", vocab, m.Net.Config.ImageTokenIndex)
            : prompt is not null ? m.PromptEncoder.EncodePrompt(prompt)
            : throw new ArgumentException("give --prompt TEXT or --input-ids");
        Label[] labels;
        int[][] cands;
        if (candidateIds is not null)
        {
            cands = ParseCandidateIds(candidateIds, vocab);
            labels = cands.Select(c => new Label(null, c)).ToArray();
        }
        else if (candidates is not null)
        {
            if (prompt is null) throw new ArgumentException("text --candidates need --prompt (or give --candidate-ids)");
            var texts = candidates.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            cands = texts.Select(t => m.PromptEncoder.EncodeAnswer(prompt, t, m.Template.ScoreEndMarker)).ToArray();
            labels = texts.Select(t => new Label(t, null)).ToArray();
        }
        else throw new ArgumentException("give --candidates a,b,c or --candidate-ids \"1,2;3\"");
        if (cands.Length == 0) throw new ArgumentException("no candidates given");
        var r = m.ScoreIds(pv, new[] { promptIds }, new[] { cands });
        return (labels, Row(r.Sum), Row(r.Mean));
    }

    /// <summary>Normalised pixel values [1,3,S,S] from --image (decoded, resized, normalised) or --pixels (as stored).</summary>
    internal static Tensor PixelValues(LlavaModel m, string? image, string? pixels)
    {
        if ((image is null) == (pixels is null)) throw new ArgumentException("give exactly one of --image FILE and --pixels FILE");
        if (pixels is not null)
        {
            var f = new SafeTensorFile(pixels);
            if (!f.Contains("pixel_values")) throw new InvalidDataException($"{pixels}: no tensor named 'pixel_values'");
            var pv = f.ReadFloat("pixel_values");
            if (pv.dim() == 3) pv = pv.unsqueeze(0);
            if (pv.dim() != 4 || pv.shape[1] != 3) throw new InvalidDataException($"{pixels}: pixel_values must be [B,3,H,W], got [{string.Join(",", pv.shape)}]");
            return pv.narrow(0, 0, 1);
        }
        return ModelInput.Prepare(ImageDecoder.Load(image!).unsqueeze(0), m.Info);
    }

    private static double[] Row(double[,] a) => Enumerable.Range(0, a.GetLength(1)).Select(j => a[0, j]).ToArray();
}
