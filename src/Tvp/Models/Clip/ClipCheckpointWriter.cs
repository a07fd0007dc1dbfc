using Tvp.IO;
using static TorchSharp.torch;

namespace Tvp.Models.Clip;

/// <summary>Writes random-weight CLIP checkpoint folders in HF layout (for benchmarks and tests).</summary>
internal static class ClipCheckpointWriter
{
    private static readonly string[] TokenizerFiles =
        { "tokenizer.json", "vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json" };

    /// <summary>
    /// Creates <paramref name="folder"/> with <c>config.json</c>, <c>model.safetensors</c> (seeded random
    /// weights: linear/conv std 1/sqrt(fan_in), embeddings std 0.02, LayerNorm 1/0, logit_scale = the config's
    /// initial value) and the tokenizer files found in <paramref name="tokenizerFolder"/>.
    /// </summary>
    public static void WriteRandom(string folder, ClipConfig config, int seed, string tokenizerFolder)
    {
        Directory.CreateDirectory(folder);
        using (var model = CreateRandom(config, seed))
        {
            var tensors = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value);
            SafeTensorFile.Write(Path.Combine(folder, "model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        }
        AtomicFile.WriteAllText(Path.Combine(folder, "config.json"), config.ToJson());
        foreach (var f in TokenizerFiles)
        {
            var src = Path.Combine(tokenizerFolder, f);
            if (File.Exists(src)) File.Copy(src, Path.Combine(folder, f), overwrite: true);
        }
    }

    /// <summary>A CLIP model with seeded random weights (see <see cref="WriteRandom"/>), in eval mode on the CPU.</summary>
    public static ClipModel CreateRandom(ClipConfig config, int seed)
    {
        var model = new ClipModel(config);
        var gen = new TorchSharp.torch.Generator((ulong)seed);
        using var scope = NewDisposeScope();
        using (no_grad())
        {
            foreach (var (name, p) in model.named_parameters())
            {
                if (name == "logit_scale") continue;
                if (name.EndsWith("class_embedding", StringComparison.Ordinal) || name.Contains("embedding.weight") && !name.Contains("patch_embedding"))
                    p.copy_(randn(p.shape, generator: gen) * 0.02);
                else if (name.Contains("layer_norm") || name.Contains("layrnorm") || name.Contains("layernorm"))
                    p.copy_(name.EndsWith("weight", StringComparison.Ordinal) ? ones_like(p) : zeros_like(p));
                else if (name.EndsWith("bias", StringComparison.Ordinal))
                    p.copy_(randn(p.shape, generator: gen) * 0.02);
                else
                {
                    long fanIn = p.numel() / p.shape[0];
                    p.copy_(randn(p.shape, generator: gen) / Math.Sqrt(fanIn));
                }
            }
        }
        model.eval();
        return model;
    }
}
