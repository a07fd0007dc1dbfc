using System.Text.Json;
using Tvp.IO;
using Tvp.Models.Llama;
using Tvp.Models.Llava;
using Tvp.Models.Opt;
using Tvp.Models.T5;
using static TorchSharp.torch;

namespace Tvp.Models.Blip2;

/// <summary>
/// Writes small random BLIP-2 / InstructBLIP checkpoints in HF layout (config.json, model.safetensors, a word-level
/// tokenizer.json, and for InstructBLIP a <c>qformer_tokenizer/</c>) — for tests, benchmarks and end-to-end runs
/// without downloads. The vision encoder is drawn from its own seed, so checkpoints written with the same vision
/// seed and vision config share the SAME vision encoder weights (as the paper's models share EVA-CLIP).
/// </summary>
internal static class Blip2CheckpointWriter
{
    /// <summary>Language models a random checkpoint can have.</summary>
    internal enum TextKind
    {
        /// <summary>OPT (decoder-only).</summary>
        Opt,
        /// <summary>LLaMA / Vicuna (decoder-only).</summary>
        Llama,
        /// <summary>Flan-T5 (encoder–decoder).</summary>
        T5,
    }

    /// <summary>A small config: ViT (image 32, patch 8, 2 layers, width 64), Q-Former (2 layers, width 32, 4 queries), a 2-layer LM of width 64, vocab 256.</summary>
    public static Blip2Config TinyConfig(Blip2Kind kind, TextKind text, int vocab = 256, int imageSize = 32, int patchSize = 8, int width = 64)
    {
        var lm = text switch
        {
            TextKind.Opt => new Blip2TextModel(Opt: new OptConfig(vocab, width, 2, 4, width * 2, 128, width, BosTokenId: 1, EosTokenId: 2, PadTokenId: 0)),
            TextKind.Llama => new Blip2TextModel(Llama: new LlamaConfig(vocab, width, width * 2, 2, 4, 4, width / 4, RmsNormEps: 1e-6, BosTokenId: 1, EosTokenId: 2, PadTokenId: 0)),
            _ => new Blip2TextModel(T5: new T5Config(vocab, width, width / 4, width * 2, 2, 2, 4, NumBuckets: 8, MaxDistance: 20,
                DenseAct: "gelu", IsGatedAct: true, TieWordEmbeddings: false, PadTokenId: 0, EosTokenId: 2, DecoderStartTokenId: 0)),
        };
        return new Blip2Config(kind,
            new Blip2VisionConfig(HiddenSize: 64, IntermediateSize: 128, NumLayers: 2, NumHeads: 4, ImageSize: imageSize, PatchSize: patchSize),
            new Blip2QFormerConfig(HiddenSize: 32, NumLayers: 2, NumHeads: 4, IntermediateSize: 64, CrossAttentionFrequency: 1,
                EncoderHiddenSize: 64, VocabSize: vocab, MaxPositionEmbeddings: 64, PadTokenId: 0),
            lm, NumQueryTokens: 4);
    }

    /// <summary>
    /// Writes a random checkpoint. <paramref name="seed"/> draws the Q-Former, projection and language model,
    /// <paramref name="visionSeed"/> the vision encoder. <paramref name="words"/> join the tokenizers' vocabulary.
    /// </summary>
    public static void WriteRandom(string folder, Blip2Config config, IEnumerable<string>? words = null, int seed = 0, int visionSeed = 0)
    {
        Directory.CreateDirectory(folder);
        var wordList = (words ?? Array.Empty<string>()).ToArray();
        using (var scope = NewDisposeScope())
        {
            var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            using (var m = new Blip2ForConditionalGeneration(config))
            {
                var rest = new Generator((ulong)seed);
                var vision = new Generator((ulong)visionSeed + 1_000_003UL);
                foreach (var (name, t) in m.state_dict())
                {
                    var x = LlavaCheckpointWriter.Draw(name, t.shape, name.StartsWith("vision_model.", StringComparison.Ordinal) ? vision : rest);
                    if (name.EndsWith(".self_attn.qkv.bias", StringComparison.Ordinal))
                        x.narrow(0, x.shape[0] / 3, x.shape[0] / 3).zero_();   // the HF layout: cat(q_bias, 0, v_bias)
                    tensors[name] = x;
                }
            }
            SafeTensorFile.Write(Path.Combine(folder, "model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        }
        var json = new JsonSerializerOptions { WriteIndented = true };
        AtomicFile.WriteAllText(Path.Combine(folder, "config.json"), JsonSerializer.Serialize(config.ToJson(), json));
        int vocab = config.Text.Opt?.VocabSize ?? config.Text.Llama?.VocabSize ?? config.Text.T5!.VocabSize;
        LlavaCheckpointWriter.WriteTokenizer(folder, vocab, null, wordList);
        if (config.QFormerTextInput)
            LlavaCheckpointWriter.WriteTokenizer(Path.Combine(folder, "qformer_tokenizer"), config.QFormer.VocabSize, null, wordList);
    }
}
