using System.Text.Json;
using Tvp.IO;
using Tvp.Models.Clip;
using Tvp.Models.Llama;
using static TorchSharp.torch;

namespace Tvp.Models.Llava;

/// <summary>
/// Writes small random LLaVA checkpoints in HF layout (config.json, model.safetensors with the legacy key
/// names, and a word-level tokenizer.json whose vocabulary holds the template words, the CIFAR-10 class
/// names, yes/no and counts) — for tests, benchmarks and end-to-end runs without downloads.
/// </summary>
internal static class LlavaCheckpointWriter
{
    /// <summary>Words every written tokenizer knows.</summary>
    internal static readonly string[] BaseWords =
    {
        "user", "assistant", ":", ".", ",", "?", "!", "\"", "this", "is", "a", "an", "photo", "of", "the", "there", "in", "image",
        "how", "many", "objects", "are", "answer", "with", "single", "number", "yes", "no", "it", "hateful", "written", "on",
        "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
        "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "zero", "one", "two", "three", "four", "five", "six",
        "seven", "eight", "nine", "ten",
    };

    /// <summary>A small LLaVA config: ViT (image 32, patch 8, 2 layers, width 64) + LLaMA (2 layers, width 64, GQA 4/2), vocab 256.</summary>
    public static LlavaConfig TinyConfig(int vocab = 256, int textWidth = 64, int textLayers = 2, int visionWidth = 64, int visionLayers = 2,
        int imageSize = 32, int patchSize = 8) =>
        new(new ClipVisionConfig(HiddenSize: visionWidth, IntermediateSize: visionWidth * 4, NumHiddenLayers: visionLayers,
                NumAttentionHeads: Math.Max(1, visionWidth / 16), ImageSize: imageSize, PatchSize: patchSize, ProjectionDim: 32),
            new LlamaConfig(VocabSize: vocab, HiddenSize: textWidth, IntermediateSize: textWidth * 2, NumLayers: textLayers,
                NumHeads: Math.Max(2, textWidth / 16), NumKeyValueHeads: Math.Max(1, textWidth / 32), HeadDim: 16,
                RmsNormEps: 1e-5, BosTokenId: 1, EosTokenId: 2, PadTokenId: 0),
            ImageTokenIndex: vocab - 1, VisionFeatureLayer: -2);

    /// <summary>
    /// Writes a random checkpoint. <paramref name="seed"/> draws the projector and language model,
    /// <paramref name="visionSeed"/> the vision tower (different vision seeds → different towers).
    /// <paramref name="words"/> are added to the tokenizer's vocabulary.
    /// </summary>
    public static void WriteRandom(string folder, LlavaConfig? config = null, IEnumerable<string>? words = null, int seed = 0, int visionSeed = 0)
    {
        config ??= TinyConfig();
        Directory.CreateDirectory(folder);
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using (var m = new LlavaForConditionalGeneration(config))
        {
            var text = new Generator((ulong)seed);
            var vision = new Generator((ulong)visionSeed + 1_000_003UL);
            foreach (var (name, t) in m.state_dict())
                tensors[name] = Draw(name, t.shape, name.StartsWith("vision_tower.", StringComparison.Ordinal) ? vision : text);
        }
        SafeTensorFile.Write(Path.Combine(folder, "model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        var json = new JsonSerializerOptions { WriteIndented = true };
        AtomicFile.WriteAllText(Path.Combine(folder, "config.json"), JsonSerializer.Serialize(config.ToJson(), json));
        WriteTokenizer(folder, config, words ?? Array.Empty<string>());
    }

    /// <summary>Weights with useful scales: matrices N(0, 1/fan_in), norms 1 + N(0, 0.1²), biases N(0, 0.02²), embeddings N(0, 0.5²).</summary>
    internal static Tensor Draw(string name, long[] shape, Generator g)
    {
        var x = randn(shape, generator: g);
        bool norm = name.Contains("norm", StringComparison.OrdinalIgnoreCase) || name.Contains("layrnorm", StringComparison.Ordinal);
        if (norm && name.EndsWith(".weight", StringComparison.Ordinal)) return 1 + 0.1 * x;
        if (name.EndsWith(".bias", StringComparison.Ordinal)) return 0.02 * x;
        if (name.Contains("embed", StringComparison.Ordinal)) return 0.5 * x;
        long fanIn = shape.Skip(1).Aggregate(1L, (a, b) => a * b);
        return x / Math.Sqrt(Math.Max(1, fanIn));
    }

    /// <summary>A lower-casing, whitespace/punctuation-splitting word-level tokenizer.json with BOS prepended.</summary>
    internal static void WriteTokenizer(string folder, LlavaConfig config, IEnumerable<string> words) =>
        WriteTokenizer(folder, config.Text.VocabSize, config.ImageTokenIndex, words);

    /// <summary>The same word-level tokenizer for any vocabulary size, with an optional image token id (ids 0/1/2 = unk/BOS/EOS).</summary>
    internal static void WriteTokenizer(string folder, int vocabSize, int? imageTokenIndex, IEnumerable<string> words)
    {
        Directory.CreateDirectory(folder);
        var vocab = new List<string> { "<unk>", "<s>", "</s>" };
        foreach (var w in BaseWords.Concat(words.Select(w => w.ToLowerInvariant())))
            if (!vocab.Contains(w)) vocab.Add(w);
        if (vocab.Count > vocabSize - 1)
            throw new ArgumentException($"tokenizer: {vocab.Count} words do not fit a vocabulary of {vocabSize} (one id is kept for an image token)");
        while (vocab.Count < vocabSize) vocab.Add($"<unused{vocab.Count}>");
        if (imageTokenIndex is int img) vocab[img] = "<image>";
        object Added(int id) => new Dictionary<string, object>
        {
            ["id"] = id, ["content"] = vocab[id], ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
            ["normalized"] = false, ["special"] = true,
        };
        var tok = new Dictionary<string, object?>
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = (imageTokenIndex is int it ? new[] { 0, 1, 2, it } : new[] { 0, 1, 2 }).Select(Added).ToArray(),
            ["normalizer"] = new Dictionary<string, object> { ["type"] = "Lowercase" },
            ["pre_tokenizer"] = new Dictionary<string, object> { ["type"] = "Whitespace" },
            ["post_processor"] = new Dictionary<string, object>
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new object[] { Special("<s>"), Seq("A") },
                ["pair"] = new object[] { Special("<s>"), Seq("A"), Seq("B") },
                ["special_tokens"] = new Dictionary<string, object>
                {
                    ["<s>"] = new Dictionary<string, object> { ["id"] = "<s>", ["ids"] = new[] { 1 }, ["tokens"] = new[] { "<s>" } },
                },
            },
            ["decoder"] = null,
            ["model"] = new Dictionary<string, object>
            {
                ["type"] = "WordLevel",
                ["vocab"] = vocab.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i),
                ["unk_token"] = "<unk>",
            },
        };
        AtomicFile.WriteAllText(Path.Combine(folder, "tokenizer.json"), JsonSerializer.Serialize(tok));
        AtomicFile.WriteAllText(Path.Combine(folder, "tokenizer_config.json"),
            """{"add_bos_token": true, "add_eos_token": false, "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<unk>"}""");
    }

    private static object Special(string id) => new Dictionary<string, object> { ["SpecialToken"] = new Dictionary<string, object> { ["id"] = id, ["type_id"] = 0 } };
    private static object Seq(string id) => new Dictionary<string, object> { ["Sequence"] = new Dictionary<string, object> { ["id"] = id, ["type_id"] = 0 } };
}
