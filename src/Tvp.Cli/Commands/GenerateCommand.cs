using System.CommandLine;
using System.Text.Json;
using Tvp.Models.Multimodal;
using static TorchSharp.torch;

namespace Tvp.Cli.Commands;

/// <summary><c>tvp generate</c>: a greedy open answer from any multimodal LLM checkpoint (LLaVA, BLIP-2, InstructBLIP, MiniGPT-4) for an image and a question.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Checkpoint folder or registry name (llava, blip-2, instructblip, minigpt4).", Required = true };
        var image = new Option<string?>("--image") { Description = "Image file (JPEG/PNG/BMP/PPM)." };
        var pixels = new Option<string?>("--pixels") { Description = "safetensors file with pixel_values [B,3,H,W], already normalised." };
        var question = new Option<string?>("--question") { Description = "The question; the model's prompt template wraps it." };
        var visualPrompt = QuestionFlag.PromptOption();
        var inputIds = new Option<string?>("--input-ids") { Description = "Prompt token ids instead of --question (LLaVA: with the image token; BLIP-2: queries are prepended)." };
        var qformerIds = new Option<string?>("--qformer-input-ids") { Description = "InstructBLIP: the Q-Former instruction ids (default: the tokenized --question)." };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Most tokens to generate.", DefaultValueFactory = _ => 32 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout." };
        var cmd = new Command("generate", "Answer a question about an image by greedy decoding (stops at EOS or --max-new-tokens).");
        foreach (var o in new Option[] { model, image, pixels, question, visualPrompt, inputIds, qformerIds, maxNew, json }) cmd.Options.Add(o);
        var loadingFlags = new ModelLoadFlags();
        loadingFlags.AddTo(cmd);
        var imageFlags = new ImageReadFlags();
        imageFlags.AddTo(cmd);
        cmd.SetAction(r => CliAction.Run(() =>
        {
            using var loading = loadingFlags.Use(r);
            QuestionFlag.RejectPrompt(r.GetValue(visualPrompt));
            using var imageReading = imageFlags.Use(r);
            if (r.GetValue(maxNew) < 1) throw new ArgumentException("--max-new-tokens must be at least 1");
            using var m = ScoreCommand.LoadMultimodal(r.GetValue(model)!);
            using var scope = NewDisposeScope();
            var pv = ScoreCommand.PixelValues(m, r.GetValue(image), r.GetValue(pixels));
            var ids = r.GetValue(inputIds) is string s ? ScoreCommand.ParseIds(s, "--input-ids", m.VocabularySize, m.ImageMarker)
                : r.GetValue(question) is string q ? m.EncodePrompt(q)
                : throw new ArgumentException("give --question TEXT or --input-ids");
            var output = m.GenerateIds(pv, new[] { ids }, r.GetValue(maxNew), ScoreCommand.Instructions(m, r.GetValue(qformerIds), r.GetValue(question)))[0];
            string? text = null;
            try { text = m.Decode(output); } catch (InvalidOperationException) { /* no tokenizer: ids only */ }
            if (r.GetValue(json)) CliContext.Out.WriteLine(JsonSerializer.Serialize(new { text, ids = output }));
            else CliContext.Out.WriteLine(text ?? string.Join(",", output));
            return 0;
        }));
        return cmd;
    }
}
