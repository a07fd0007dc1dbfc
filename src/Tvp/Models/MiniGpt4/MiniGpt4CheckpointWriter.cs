using System.Text.Json;
using Tvp.IO;
using Tvp.Models.Blip2;
using Tvp.Models.Llama;
using Tvp.Models.Llava;
using static TorchSharp.torch;

namespace Tvp.Models.MiniGpt4;

/// <summary>Writes a small random MiniGPT-4 folder (<see cref="MiniGpt4Layout"/>): a random BLIP-2 front end, llama_proj and a LLaMA with a word-level tokenizer.</summary>
internal static class MiniGpt4CheckpointWriter
{
    /// <summary>Writes the folder; <paramref name="visionSeed"/> draws the vision encoder (shared with BLIP-2 checkpoints of the same seed).</summary>
    public static void WriteRandom(string folder, IEnumerable<string>? words = null, int seed = 0, int visionSeed = 0)
    {
        var wordList = (words ?? Array.Empty<string>()).ToArray();
        Directory.CreateDirectory(folder);
        var blip2 = Blip2CheckpointWriter.TinyConfig(Blip2Kind.Blip2, Blip2CheckpointWriter.TextKind.Llama);
        Blip2CheckpointWriter.WriteRandom(Path.Combine(folder, MiniGpt4Layout.Blip2Folder), blip2, wordList, seed, visionSeed);
        var text = blip2.Text.Llama!;
        var llamaDir = Path.Combine(folder, MiniGpt4Layout.LlamaFolder);
        Directory.CreateDirectory(llamaDir);
        using (var scope = NewDisposeScope())
        {
            var g = new Generator((ulong)seed + 77UL);
            using var lm = new LlamaForCausalLM(text);
            var tensors = lm.state_dict().ToDictionary(p => p.Key, p => LlavaCheckpointWriter.Draw(p.Key, p.Value.shape, g), StringComparer.Ordinal);
            SafeTensorFile.Write(Path.Combine(llamaDir, "model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
            var proj = new Dictionary<string, Tensor>
            {
                ["llama_proj.weight"] = LlavaCheckpointWriter.Draw("llama_proj.weight", new long[] { text.HiddenSize, blip2.QFormer.HiddenSize }, g),
                ["llama_proj.bias"] = LlavaCheckpointWriter.Draw("llama_proj.bias", new long[] { text.HiddenSize }, g),
            };
            SafeTensorFile.Write(Path.Combine(folder, MiniGpt4Layout.ProjectionFile), proj, new Dictionary<string, string> { ["format"] = "pt" });
        }
        var json = new JsonSerializerOptions { WriteIndented = true };
        AtomicFile.WriteAllText(Path.Combine(llamaDir, "config.json"), JsonSerializer.Serialize(text.ToJsonFields(), json));
        LlavaCheckpointWriter.WriteTokenizer(llamaDir, text.VocabSize, null, wordList.Append("###").Append("human").Append("img").Append("imagehere"));
        AtomicFile.WriteAllText(Path.Combine(folder, "config.json"), JsonSerializer.Serialize(new Dictionary<string, object> { ["model_type"] = MiniGpt4Layout.ModelType }, json));
    }
}
