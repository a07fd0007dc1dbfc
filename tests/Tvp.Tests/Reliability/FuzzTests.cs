using System.Text.Json.Nodes;
using Tvp.Data;
using Tvp.Data.Tasks;
using Tvp.IO;
using Tvp.Models.Clip;
using Tvp.Models.Llama;
using Tvp.Prompts;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Tvp.Tests.Reliability;

/// <summary>Property-based fuzzing of every file format tvp reads (see <see cref="Fuzzing"/>).</summary>
public class FuzzTests(ITestOutputHelper output)
{
    private void Report(string format, long cases) => output.WriteLine($"{format}: {cases} cases, 0 unexpected failures");

    private static byte[] Image(Func<byte[], int, int, MemoryStream, MemoryStream> write)
    {
        var px = new byte[12 * 9 * 3];
        new Random(3).NextBytes(px);
        return write(px, 12, 9, new MemoryStream()).ToArray();
    }

    public static TheoryData<string> ImageFormats() => new() { "png", "jpeg", "bmp", "ppm" };

    [Theory]
    [MemberData(nameof(ImageFormats))]
    public void ImageDecoderOnlyThrowsTypedErrors(string format)
    {
        var w = new StbImageWriteSharp.ImageWriter();
        var rgb = StbImageWriteSharp.ColorComponents.RedGreenBlue;
        byte[] valid = format switch
        {
            "png" => Image((p, x, y, s) => { w.WritePng(p, x, y, rgb, s); return s; }),
            "jpeg" => Image((p, x, y, s) => { w.WriteJpg(p, x, y, rgb, s, 90); return s; }),
            "bmp" => Image((p, x, y, s) => { w.WriteBmp(p, x, y, rgb, s); return s; }),
            _ => System.Text.Encoding.ASCII.GetBytes("P6\n# c\n12 9\n255\n").Concat(Enumerable.Range(0, 12 * 9 * 3).Select(i => (byte)i)).ToArray(),
        };
        var options = new ImageReadOptions(MaxPixels: 4_000_000);
        Report(format, Fuzzing.Check(Fuzzing.Bytes(valid), b =>
        {
            var (px, width, height) = ImageDecoder.Decode(b, "fuzz." + format, options);
            Assert.Equal(width * height * 3, px.Length);
        }));
    }

    [Fact]
    public void PromptFilesAndSafetensorsOnlyThrowTypedErrors()
    {
        using var dir = new TempDir();
        var path = dir.File("p.safetensors");
        using (var p = new VisualPrompt(PromptShape.Padding, 8, 2))
            PromptFile.Save(path, p, new PromptMetadata(PromptShape.Padding, 8, 4, 2, "m", "d"));
        Report("safetensors prompt", Fuzzing.Check(Fuzzing.Bytes(File.ReadAllBytes(path)), b => Fuzzing.ViaFile("p.safetensors", b, f =>
        {
            var (prompt, _) = PromptFile.Load(f);
            prompt.Dispose();
        })));
    }

    [Fact]
    public void ClipConfigsOnlyThrowTypedErrors()
    {
        var valid = ClipConfig.VitB32.ToJson();
        Report("HF CLIP config", Fuzzing.Check(Fuzzing.Text(valid), b => Fuzzing.ViaFile("config.json", b, f =>
            ClipLoader.ReadConfig(Path.GetDirectoryName(f)!))));
    }

    [Fact]
    public void LlamaConfigsOnlyThrowTypedErrors()
    {
        var valid = System.Text.Json.JsonSerializer.Serialize(new LlamaConfig(320, 64, 128, 2, 4, 2, 16).ToJsonFields());
        Report("HF LLaMA config", Fuzzing.Check(Fuzzing.Text(valid), b => Fuzzing.ViaFile("config.json", b, f =>
            LlamaConfig.Load(Path.GetDirectoryName(f)!))));
    }

    [Fact]
    public void JsonlTasksOnlyThrowTypedErrors()
    {
        var valid = "{\"image\": \"a.png\", \"question\": \"how many?\", \"answer\": \"2\", \"candidates\": [\"1\", \"2\", \"3\"]}\n" +
                    "{\"image\": \"b/c.png\", \"question\": \"is it red?\", \"answer\": \"yes\", \"candidates\": [\"no\", \"yes\"]}\n";
        Report("JSONL task", Fuzzing.Check(Fuzzing.Text(valid), b => Fuzzing.ViaFile("train.jsonl", b, f => JsonlTaskDataset.Load(f))));
    }

    [SharedFact]
    public void ModelCardsOnlyThrowTypedErrors()
    {
        var card = JsonNode.Parse(File.ReadAllText(SharedData.Path("models", "cifar10-resnet20.json")))!.AsObject();
        card["weights"]!["file"] = SharedData.Path("models", "cifar10-resnet20.safetensors");
        card["class_list_file"] = SharedData.Path("models", card["class_list_file"]!.GetValue<string>());
        Report("model card", Fuzzing.Check(Fuzzing.Text(card.ToJsonString()), b => Fuzzing.ViaFile("card.json", b, f =>
            Tvp.Models.Classifiers.ModelCard.Read(f))));
    }

    [SharedFact]
    public void TokenizerFilesOnlyThrowTypedErrors()
    {
        var valid = File.ReadAllText(SharedData.Path("fixtures", "clip-tokenizer", "tokenizer.json"));
        Report("tokenizer.json", Fuzzing.Check(Fuzzing.Text(valid), b => Fuzzing.ViaFile("tokenizer.json", b, f =>
            Tvp.IO.Tokenizers.ClipTokenizer.FromTokenizerJson(f).Encode("a photo of a cat"))));
    }

    /// <summary>
    /// A small self-consistent slow-tokenizer pair cut from the shared CLIP files: the 512 byte tokens, the first
    /// <paramref name="merges"/> merges with their results (CLIP's vocabulary lists merge results in merge order,
    /// from id 512), and the two special tokens renumbered after them.
    /// </summary>
    private static (string Vocab, string Merges) SmallVocabAndMerges(int merges)
    {
        var full = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(SharedData.Path("fixtures", "clip-tokenizer", "vocab.json")))!;
        var vocab = full.Where(kv => kv.Value < 512 + merges).OrderBy(kv => kv.Value).ToDictionary(kv => kv.Key, kv => kv.Value);
        vocab["<|startoftext|>"] = 512 + merges;
        vocab["<|endoftext|>"] = 513 + merges;
        var lines = File.ReadLines(SharedData.Path("fixtures", "clip-tokenizer", "merges.txt")).Take(merges + 1);
        return (System.Text.Json.JsonSerializer.Serialize(vocab), string.Join("\n", lines) + "\n");
    }

    [SharedFact]
    public void ClipVocabJsonOnlyThrowsTypedErrors()
    {
        var (vocab, merges) = SmallVocabAndMerges(100);
        Assert.NotEmpty(ClipTokenizerFrom(vocab, merges).Encode("a photo of a cat")); // the valid pair works
        Report("vocab.json", Fuzzing.Check(Fuzzing.Text(vocab), b => Fuzzing.ViaFile("vocab.json", b, f =>
        {
            File.WriteAllText(Path.Combine(Path.GetDirectoryName(f)!, "merges.txt"), merges);
            Tvp.IO.Tokenizers.ClipTokenizer.FromVocabAndMerges(f, Path.Combine(Path.GetDirectoryName(f)!, "merges.txt")).Encode("a photo of a cat");
        })));
    }

    [SharedFact]
    public void ClipMergesTxtOnlyThrowsTypedErrors()
    {
        var (vocab, merges) = SmallVocabAndMerges(100);
        Report("merges.txt", Fuzzing.Check(Fuzzing.Bytes(System.Text.Encoding.UTF8.GetBytes(merges)), b => Fuzzing.ViaFile("merges.txt", b, f =>
        {
            File.WriteAllText(Path.Combine(Path.GetDirectoryName(f)!, "vocab.json"), vocab);
            Tvp.IO.Tokenizers.ClipTokenizer.FromVocabAndMerges(Path.Combine(Path.GetDirectoryName(f)!, "vocab.json"), f).Encode("a photo of a cat");
        })));
    }

    private static Tvp.IO.Tokenizers.ClipTokenizer ClipTokenizerFrom(string vocab, string merges)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("vocab.json"), vocab);
        File.WriteAllText(dir.File("merges.txt"), merges);
        return Tvp.IO.Tokenizers.ClipTokenizer.FromVocabAndMerges(dir.File("vocab.json"), dir.File("merges.txt"));
    }

    [Fact]
    public void OnnxModelCardsOnlyThrowTypedErrors()
    {
        using var dir = new TempDir();
        var onnx = dir.File("model.onnx");
        File.WriteAllBytes(onnx, new Tvp.Tests.Models.Onnx.OnnxModelBuilder(13)
            .Input("x", 1, 3, 4, 4)
            .Initializer("w", Enumerable.Range(0, 2 * 3 * 3 * 3).Select(i => i * 0.01f).ToArray(), 2, 3, 3, 3)
            .Node("Conv", new[] { "x", "w" }, new[] { "y" }, Tvp.Tests.Models.Onnx.OnnxModelBuilder.Ints("pads", 1, 1, 1, 1))
            .Node("GlobalAveragePool", new[] { "y" }, new[] { "z" })
            .Node("Flatten", new[] { "z" }, new[] { "logits" })
            .Output("y").Output("logits").Bytes);
        var labels = dir.File("labels.txt");
        File.WriteAllText(labels, "cat\ndog\n");
        var card = new JsonObject
        {
            ["name"] = "fuzz", ["onnx"] = onnx, ["input"] = "x", ["input_size"] = 4, ["scale"] = 255,
            ["mean"] = new JsonArray(123.7, 116.3, 103.5), ["std"] = new JsonArray(58.4, 57.1, 57.4), ["channel_order"] = "BGR",
            ["interpolation"] = "bilinear", ["features_output"] = "y", ["logits_output"] = "logits", ["labels"] = labels,
        }.ToJsonString();
        using var pixels = rand(1, 3, 6, 6);
        Report("ONNX model card", Fuzzing.Check(Fuzzing.Text(card), b => Fuzzing.ViaFile("model.json", b, f =>
        {
            using var m = Tvp.Models.Onnx.OnnxImagePromptable.Load(f);
            using var features = m.ImageFeatures(pixels);
        })));
    }

    [Fact]
    public void OnnxModelsOnlyThrowTypedErrors()
    {
        var valid = new Tvp.Tests.Models.Onnx.OnnxModelBuilder(13)
            .Input("x", 1, 3, 4, 4)
            .Initializer("w", Enumerable.Range(0, 2 * 3 * 3 * 3).Select(i => i * 0.01f).ToArray(), 2, 3, 3, 3)
            .Node("Conv", new[] { "x", "w" }, new[] { "y" }, Tvp.Tests.Models.Onnx.OnnxModelBuilder.Ints("pads", 1, 1, 1, 1))
            .Output("y").Bytes;
        Report("ONNX", Fuzzing.Check(Fuzzing.Bytes(valid), b =>
        {
            using var g = Tvp.Models.Onnx.OnnxGraph.Load(new MemoryStream(b), "fuzz.onnx");
        }));
    }
}
