using System.CommandLine;
using System.Text.Json;
using Tvp.Models.Multimodal;
using Tvp.Data;
using Tvp.IO;
using Tvp.Models;
using Tvp.Models.Llama;
using Tvp.Models.Llava;
using static TorchSharp.torch;

namespace Tvp.Cli.Commands;

/// <summary>
/// <c>tvp score</c>: the sum and mean per-token log-likelihood of each candidate answer given an image and a
/// prompt, from any multimodal LLM checkpoint (LLaVA, BLIP-2 OPT / Flan-T5, InstructBLIP, MiniGPT-4 layout) or a
/// text-only LLaMA folder. Text or token ids; candidate ids are scored exactly as given.
/// </summary>
internal static class ScoreCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Checkpoint folder or registry name (llava, blip-2, instructblip, minigpt4; or llama for text-only scoring).", Required = true };
        var image = new Option<string?>("--image") { Description = "Image file (JPEG/PNG/BMP/PPM); resized and normalised as the model wants." };
        var pixels = new Option<string?>("--pixels") { Description = "safetensors file with pixel_values [B,3,H,W], already normalised (first image used)." };
        var question = new Option<string?>("--question") { Description = "The question; the model's prompt template wraps it." };
        var visualPrompt = QuestionFlag.PromptOption();
        var candidates = new Option<string?>("--candidates") { Description = "Comma-separated candidate answers." };
        var inputIds = new Option<string?>("--input-ids") { Description = "Prompt token ids, comma-separated (LLaVA: with the image token where the image goes; BLIP-2/InstructBLIP: the query tokens are prepended)." };
        var qformerIds = new Option<string?>("--qformer-input-ids") { Description = "InstructBLIP: the Q-Former instruction ids, comma-separated (default: the tokenized --question)." };
        var candidateIds = new Option<string?>("--candidate-ids") { Description = "Candidate token ids: ids comma-separated, candidates ';'-separated." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout." };
        var cmd = new Command("score", "Score candidate answers: mean per-token log-likelihood of each candidate after the prompt (the prompt runs once; its key/value cache serves every candidate).");
        foreach (var o in new Option[] { model, image, pixels, question, visualPrompt, candidates, inputIds, qformerIds, candidateIds, json }) cmd.Options.Add(o);
        var loadingFlags = new ModelLoadFlags();
        loadingFlags.AddTo(cmd);
        var imageFlags = new ImageReadFlags();
        imageFlags.AddTo(cmd);
        cmd.SetAction(r => CliAction.Run(() =>
        {
            using var loading = loadingFlags.Use(r);
            QuestionFlag.RejectPrompt(r.GetValue(visualPrompt));
            using var imageReading = imageFlags.Use(r);
            var dir = r.GetValue(model)!;
            var (labels, sums, means) = LlamaTextScorer.IsCheckpoint(dir)
                ? ScoreText(dir, r.GetValue(inputIds), r.GetValue(candidateIds))
                : ScoreImage(dir, r.GetValue(image), r.GetValue(pixels), r.GetValue(question), r.GetValue(candidates), r.GetValue(inputIds), r.GetValue(qformerIds), r.GetValue(candidateIds));
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
        using var lm = LlamaTextScorer.Load(dir);
        var prefix = ParseIds(inputIds, "--input-ids", lm.VocabularySize);
        var cands = ParseCandidateIds(candidateIds, lm.VocabularySize);
        var r = lm.Score(prefix, cands);
        return (cands.Select(c => new Label(null, c)).ToArray(), Row(r.Sum), Row(r.Mean));
    }

    /// <summary>Loads any multimodal LLM by folder or registry name.</summary>
    internal static MultimodalPromptable LoadMultimodal(string nameOrPath)
    {
        var model = ModelRegistry.Load(nameOrPath, CPU);
        if (model is MultimodalPromptable m) return m;
        var family = model.Info.Family;
        model.Dispose();
        throw new ArgumentException($"{nameOrPath}: a {family} model is not a multimodal LLM (score/generate take llava, blip-2, instructblip or minigpt4 checkpoints)");
    }

    /// <summary>The Q-Former instruction rows for one question: --qformer-input-ids, else the tokenized question (InstructBLIP only).</summary>
    internal static int[][]? Instructions(MultimodalPromptable m, string? qformerIds, string? question)
    {
        if (!m.NeedsInstruction)
        {
            if (qformerIds is not null) throw new ArgumentException($"--qformer-input-ids: {m.Info.Name} has no instruction-reading Q-Former (InstructBLIP only)");
            return null;
        }
        if (qformerIds is not null) return new[] { ParseIds(qformerIds, "--qformer-input-ids", int.MaxValue) };
        if (question is not null) return new[] { m.InstructionIds(question)! };
        throw new ArgumentException($"{m.Info.Name} is an InstructBLIP checkpoint: give --qformer-input-ids (or --question)");
    }

    private static (Label[], double[], double[]) ScoreImage(string dir, string? image, string? pixels, string? question, string? candidates, string? inputIds, string? qformerIds, string? candidateIds)
    {
        using var m = LoadMultimodal(dir);
        using var scope = NewDisposeScope();
        var pv = PixelValues(m, image, pixels);
        int vocab = m.VocabularySize;
        var promptIds = inputIds is not null ? ParseIds(inputIds, "--input-ids", vocab, m.ImageMarker)
            : question is not null ? m.EncodePrompt(question)
            : throw new ArgumentException("give --question TEXT or --input-ids");
        Label[] labels;
        int[][] cands;
        if (candidateIds is not null)
        {
            cands = ParseCandidateIds(candidateIds, vocab);
            labels = cands.Select(c => new Label(null, c)).ToArray();
        }
        else if (candidates is not null)
        {
            if (question is null) throw new ArgumentException("text --candidates need --question (or give --candidate-ids)");
            var texts = candidates.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            cands = texts.Select(t => m.EncodeAnswer(question, t)).ToArray();
            labels = texts.Select(t => new Label(t, null)).ToArray();
        }
        else throw new ArgumentException("give --candidates a,b,c or --candidate-ids \"1,2;3\"");
        if (cands.Length == 0) throw new ArgumentException("no candidates given");
        var r = m.ScoreIds(pv, new[] { promptIds }, new[] { cands }, Instructions(m, qformerIds, question));
        return (labels, Row(r.Sum), Row(r.Mean));
    }

    /// <summary>Normalised pixel values [1,3,S,S] from --image (the checkpoint's preprocessor_config.json: resize, centre crop, normalise) or --pixels (as stored).</summary>
    internal static Tensor PixelValues(MultimodalPromptable m, string? image, string? pixels)
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
        return m.PreprocessImage(ImageDecoder.Load(image!));
    }

    private static double[] Row(double[,] a) => Enumerable.Range(0, a.GetLength(1)).Select(j => a[0, j]).ToArray();
}
