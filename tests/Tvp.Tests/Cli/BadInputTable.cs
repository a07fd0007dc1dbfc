using System.Text.Json.Nodes;
using Tvp.Experiments;
using Tvp.Training;
using static TorchSharp.torch;

namespace Tvp.Tests.Cli;

/// <summary>
/// The bad-input table of issue 11: each hostile input, the exit code and a fragment of the one-line message.
/// The CLI runs in-process with injected writers. Every row also asserts: no stack trace, one error line.
/// Rows for offsets/unused tensors in safetensors belong to the loader's own tests (IO/SafeTensorFile, StateDictLoader).
/// </summary>
public class BadInputTable
{
    /// <summary>One row: builds its inputs in <paramref name="dir"/> and returns the CLI arguments.</summary>
    public sealed record Row(string Name, Func<string, string[]> Args, int Exit, string Fragment, bool NeedsShared = false)
    {
        public override string ToString() => Name;
    }

    private static string Folder(string dir)
    {
        var data = Path.Combine(dir, "data");
        if (!Directory.Exists(data)) CliTests.MakeImageFolder(data, 2);
        return data;
    }

    private static string[] Train(string dir, params string[] extra) =>
        new[] { "train", "--data", Folder(dir), "--source", "no-such-model", "--out", Path.Combine(dir, "run"), "--quiet" }.Concat(extra).ToArray();

    private static string PromptWith(string dir, float value)
    {
        var p = Path.Combine(dir, "p.safetensors");
        using var prompt = new Tvp.Prompts.VisualPrompt(Tvp.Prompts.PromptShape.Padding, 16, 4);
        using (no_grad()) prompt.Delta[1, 0, 0] = tensor(value);
        Tvp.Prompts.PromptFile.Save(p, prompt, new Tvp.Prompts.PromptMetadata(Tvp.Prompts.PromptShape.Padding, 16, 8, 4));
        return p;
    }

    private static string[] Apply(string dir, string image) =>
        new[] { "apply", "--prompt", PromptWith(dir, 0.1f), "--images", image, "--out", Path.Combine(dir, "o"), "--quiet" };

    private static string Png(string dir, string name, int w = 8, int h = 8)
    {
        var px = new byte[w * h * 3];
        new Random(1).NextBytes(px);
        var path = Path.Combine(dir, name);
        using var fs = File.Create(path);
        new StbImageWriteSharp.ImageWriter().WritePng(px, w, h, StbImageWriteSharp.ColorComponents.RedGreenBlue, fs);
        return path;
    }

    /// <summary>A valid 8×8 PNG whose IHDR is rewritten to declare <paramref name="side"/>² pixels (stb_image does not check CRCs).</summary>
    private static string Bomb(string dir, int side)
    {
        var path = Png(dir, "bomb.png");
        var b = File.ReadAllBytes(path);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(16), side);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(20), side);
        File.WriteAllBytes(path, b);
        return path;
    }

    private static string Truncated(string dir, string name, byte[] bytes, double keep)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllBytes(path, bytes[..(int)(bytes.Length * keep)]);
        return path;
    }

    private static byte[] Jpeg(int w, int h)
    {
        var px = new byte[w * h * 3];
        new Random(2).NextBytes(px);
        using var ms = new MemoryStream();
        new StbImageWriteSharp.ImageWriter().WriteJpg(px, w, h, StbImageWriteSharp.ColorComponents.RedGreenBlue, ms, 90);
        return ms.ToArray();
    }

    private static string Jsonl(string dir, string image, string question = "what?")
    {
        var data = Path.Combine(dir, "tasks");
        Directory.CreateDirectory(data);
        Png(data, "ok.png");
        var line = new JsonObject { ["image"] = image, ["question"] = question, ["answer"] = "yes", ["candidates"] = new JsonArray("no", "yes") }.ToJsonString();
        File.WriteAllText(Path.Combine(data, "train.jsonl"), line + "\n");
        File.WriteAllText(Path.Combine(data, "test.jsonl"), line + "\n");
        return data;
    }

    private static string Fifo(string dir, string name)
    {
        var path = Path.Combine(dir, name);
        using var p = System.Diagnostics.Process.Start("mkfifo", path)!;
        p.WaitForExit();
        return path;
    }

    /// <summary>A copy of a shared card (weights by absolute path) with <paramref name="edit"/> applied.</summary>
    private static string Card(string dir, Action<JsonObject> edit, string name = "cifar10-resnet20")
    {
        var card = JsonNode.Parse(File.ReadAllText(SharedData.Path("models", name + ".json")))!.AsObject();
        card["weights"]!["file"] = SharedData.Path("models", name + ".safetensors");
        if (card["class_list_file"] is not null) card["class_list_file"] = SharedData.Path("models", card["class_list_file"]!.GetValue<string>());
        edit(card);
        var path = Path.Combine(dir, "card.json");
        File.WriteAllText(path, card.ToJsonString());
        return path;
    }

    private static string[] TrainCard(string dir, Action<JsonObject> edit) =>
        new[] { "train", "--data", Folder(dir), "--source", Card(dir, edit), "--out", Path.Combine(dir, "run"), "--quiet", "--epochs", "1" };

    /// <summary>ResNet-20 trained with --lr 1e30 for two steps (12 images per class, batch 16): the second step overflows.</summary>
    private static string[] Diverging(string dir)
    {
        var data = Path.Combine(dir, "data12");
        CliTests.MakeImageFolder(data, 12);
        return new[] { "train", "--data", data, "--source", Card(dir, _ => { }), "--out", Path.Combine(dir, "run"), "--quiet", "--epochs", "2", "--lr", "1e30" };
    }

    /// <summary>A copy of the tiny CLIP fixture with its config edited (vision or text sub-config).</summary>
    private static string[] EncodeClip(string dir, string tower, string field, JsonNode value)
    {
        var model = Path.Combine(dir, "clip");
        Directory.CreateDirectory(model);
        foreach (var f in Directory.GetFiles(SharedData.Path("fixtures", "tiny-clip")))
            if (Path.GetFileName(f) != "model.safetensors" && Path.GetFileName(f) != "expected.safetensors") File.Copy(f, Path.Combine(model, Path.GetFileName(f)));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(model, "config.json")))!.AsObject();
        config[tower]![field] = value;
        File.WriteAllText(Path.Combine(model, "config.json"), config.ToJsonString());
        var texts = Path.Combine(dir, "texts.txt");
        File.WriteAllText(texts, "a cat\n");
        return new[] { "encode", "--model", model, "--texts", texts, "--out", Path.Combine(dir, "e.safetensors") };
    }

    /// <summary>A valid prompt file whose safetensors header is rewritten by <paramref name="edit"/> (the JSON as text,
    /// so that values no JSON library would write, like 2^63 or invalid UTF-8, can be planted).</summary>
    private static string EditedPrompt(string dir, Func<string, byte[]> edit)
    {
        var valid = PromptWith(dir, 0.1f);
        var bytes = File.ReadAllBytes(valid);
        long n = BitConverter.ToInt64(bytes, 0);
        var header = System.Text.Encoding.UTF8.GetString(bytes, 8, (int)n);
        var newHeader = edit(header);
        var path = Path.Combine(dir, "edited.safetensors");
        using (var fs = File.Create(path))
        {
            fs.Write(BitConverter.GetBytes((long)newHeader.Length));
            fs.Write(newHeader);
            fs.Write(bytes.AsSpan(8 + (int)n));
        }
        return path;
    }

    /// <summary>The header with the "prompt" tensor's entry changed by a regex replacement.</summary>
    private static Func<string, byte[]> PromptEntry(string pattern, string replacement) => h =>
    {
        var edited = System.Text.RegularExpressions.Regex.Replace(h, pattern, replacement);
        Assert.NotEqual(h, edited);
        return System.Text.Encoding.UTF8.GetBytes(edited);
    };

    private static string[] ApplyPrompt(string dir, string prompt) =>
        new[] { "apply", "--prompt", prompt, "--images", Png(dir, "x.png"), "--out", Path.Combine(dir, "o") };

    /// <summary>The tiny CLIP fixture with its weights (linked) and its config edited.</summary>
    private static string[] EncodeClipWithWeights(string dir, string tower, string field, JsonNode value)
    {
        var args = EncodeClip(dir, tower, field, value);
        File.CreateSymbolicLink(Path.Combine(dir, "clip", "model.safetensors"), SharedData.Path("fixtures", "tiny-clip", "model.safetensors"));
        return args;
    }

    public static readonly Row[] Rows =
    {
        // flags
        new("checkpoint-every 0", d => Train(d, "--checkpoint-every", "0"), 2, "--checkpoint-every must be positive"),
        new("val-every 0", d => Train(d, "--val-every", "0"), 2, "--val-every must be positive"),
        new("shots -5", d => Train(d, "--shots", "-5"), 2, "--shots must be >= 0"),
        new("eval-batch-size 0", d => Train(d, "--eval-batch-size", "0"), 2, "--eval-batch-size must be positive"),
        new("lr NaN", d => Train(d, "--lr", "NaN"), 2, "--lr must be a positive finite number"),
        new("on-nan maybe", d => Train(d, "--on-nan", "maybe"), 2, "--on-nan must be stop or skip"),
        new("optimizer rmsprop", d => Train(d, "--optimizer", "rmsprop"), 2, "--optimizer must be normalized, sgd or adam, got 'rmsprop'"),
        new("schedule step", d => Train(d, "--schedule", "step"), 2, "--schedule must be cosine or constant, got 'step'"),
        new("fca-features both", d => Train(d, "--fca-features", "both"), 2, "--fca-features must be connector or encoder, got 'both'"),
        new("prompt-shape round", d => Train(d, "--prompt-shape", "round"), 2, "unknown prompt shape 'round'"),
        new("max-image-pixels 0", d => Train(d, "--max-image-pixels", "0"), 2, "--max-image-pixels must be positive"),
        new("resume nothing", d => new[] { "train", "--out", Path.Combine(d, "nothing"), "--resume" }, 2, "nothing to resume"),
        // prompt files
        new("prompt holding NaN", d => new[] { "apply", "--prompt", PromptWith(d, float.NaN), "--images", Png(d, "x.png"), "--out", Path.Combine(d, "o") }, 2, "holds non-finite values"),
        new("prompt holding Inf", d => new[] { "apply", "--prompt", PromptWith(d, float.PositiveInfinity), "--images", Png(d, "x.png"), "--out", Path.Combine(d, "o") }, 2, "holds non-finite values"),
        new("prompt holding 1e30", d => new[] { "apply", "--prompt", PromptWith(d, 1e30f), "--images", Png(d, "x.png"), "--out", Path.Combine(d, "o") }, 2, "beyond ±10000"),
        new("prompt file is a FIFO", d => new[] { "apply", "--prompt", Fifo(d, "p.safetensors"), "--images", Png(d, "x.png"), "--out", Path.Combine(d, "o") }, 2, "is a FIFO"),
        // images
        new("PNG bomb 20000x20000", d => Apply(d, Bomb(d, 20000)), 2, "above the limit of 64000000 (--max-image-pixels)"),
        new("truncated PNG", d => Apply(d, Truncated(d, "t.png", File.ReadAllBytes(Png(d, "full.png", 64, 64)), 0.6)), 2, "truncated image"),
        new("truncated JPEG", d => Apply(d, Truncated(d, "t.jpg", Jpeg(64, 64), 0.6)), 2, "no end-of-image marker"),
        new("image is a FIFO", d => Apply(d, Fifo(d, "f.png")), 2, "is a FIFO"),
        new("image is /dev/zero", d => Apply(d, "/dev/zero"), 2, "is a character device"),
        // safetensors headers (read through a prompt file; weights use the same reader)
        new("safetensors offset 2^63", d => ApplyPrompt(d, EditedPrompt(d, PromptEntry(@"""data_offsets"":\[0,(\d+)\]", @"""data_offsets"":[0,9223372036854775808]"))), 2, "edited.safetensors"),
        new("safetensors float in shape", d => ApplyPrompt(d, EditedPrompt(d, PromptEntry(@"""shape"":\[(\d+)", @"""shape"":[2.5"))), 2, "edited.safetensors"),
        new("safetensors negative dim", d => ApplyPrompt(d, EditedPrompt(d, PromptEntry(@"""shape"":\[(\d+)", @"""shape"":[-3"))), 2, "edited.safetensors"),
        new("safetensors byte count that wraps", d => ApplyPrompt(d, EditedPrompt(d, PromptEntry(@"""shape"":\[(\d+)", @"""shape"":[4611686018427387904"))), 2, "edited.safetensors"),
        new("safetensors overlapping offsets", d => ApplyPrompt(d, EditedPrompt(d, PromptEntry(@"^\{", @"{""other"":{""dtype"":""F32"",""shape"":[1],""data_offsets"":[0,4]},"))), 2, "overlap"),
        new("safetensors invalid UTF-8 header", d => ApplyPrompt(d, EditedPrompt(d, h => { var b = System.Text.Encoding.UTF8.GetBytes(h); b[Array.IndexOf(b, (byte)'p')] = 0xFF; return b; })), 2, "edited.safetensors"),
        // the image flags on every command that reads images
        new("apply --max-image-pixels 0", d => Apply(d, Png(d, "x.png")).Concat(new[] { "--max-image-pixels", "0" }).ToArray(), 2, "--max-image-pixels must be positive"),
        new("apply --max-image-pixels 10 on an 8x8 PNG", d => Apply(d, Png(d, "x.png")).Concat(new[] { "--max-image-pixels", "10" }).ToArray(), 2, "above the limit of 10 (--max-image-pixels)"),
        new("eval --max-image-pixels 0", d => new[] { "eval", "--data", Folder(d), "--models", "no-such-model", "--max-image-pixels", "0", "--out", Path.Combine(d, "run"), "--quiet" }, 2, "--max-image-pixels must be positive"),
        new("score --max-image-pixels 0", d => new[] { "score", "--model", Path.Combine(d, "nomodel"), "--image", Png(d, "x.png"), "--question", "q", "--candidates", "a", "--max-image-pixels", "0" }, 2, "--max-image-pixels must be positive"),
        new("generate --max-image-pixels 0", d => new[] { "generate", "--model", Path.Combine(d, "nomodel"), "--image", Png(d, "x.png"), "--question", "q", "--max-image-pixels", "0" }, 2, "--max-image-pixels must be positive"),
        new("encode --max-image-pixels 0", d => new[] { "encode", "--model", Path.Combine(d, "nomodel"), "--images", Png(d, "x.png"), "--out", Path.Combine(d, "e.safetensors"), "--max-image-pixels", "0" }, 2, "--max-image-pixels must be positive"),
        new("study --max-image-pixels 0", d => new[] { "study", "nothing.json", "--max-image-pixels", "0", "--quiet" }, 2, "--max-image-pixels must be positive"),
        new("eval JSONL image outside the data folder", d => new[] { "eval", "--data", Jsonl(d, "../../etc/passwd"), "--models", "no-such-model", "--out", Path.Combine(d, "run"), "--quiet" }, 2, "outside the data folder"),
        // JSONL tasks
        new("JSONL image outside the data folder", d => Train(d, "--data", Jsonl(d, "../../etc/passwd")).Where((a, i) => i is not (1 or 2)).ToArray(), 2, "outside the data folder"),
        new("JSONL absolute image path elsewhere", d => Train(d, "--data", Jsonl(d, "/etc/hostname")).Where((a, i) => i is not (1 or 2)).ToArray(), 2, "--allow-outside-paths"),
        new("JSONL 1 MB question", d => Train(d, "--data", Jsonl(d, "ok.png", new string('q', 1 << 20))).Where((a, i) => i is not (1 or 2)).ToArray(), 2, "characters long"),
        // text inputs
        new("encode --texts /dev/null", d => new[] { "encode", "--model", Path.Combine(d, "nomodel"), "--texts", "/dev/null", "--out", Path.Combine(d, "e.safetensors") }, 2, "is a character device"),
        // classifier cards (shared weights)
        new("card stage_channels -32", d => TrainCard(d, c => c["architecture"]!["stage_channels"] = new JsonArray(-32, 32, 64)), 2, "'architecture.stage_channels[0]' must be in 1..", true),
        new("card stage_channels 2e9", d => TrainCard(d, c => c["architecture"]!["stage_channels"] = new JsonArray(2_000_000_000, 32, 64)), 2, "'architecture.stage_channels[0]' must be in 1..", true),
        new("card stride 0", d => TrainCard(d, c => c["architecture"]!["stage_strides"] = new JsonArray(1, 0, 2)), 2, "'architecture.stage_strides[1]' must be a stride", true),
        new("card input 100000", d => TrainCard(d, c => c["input"]!["size"] = new JsonArray(100000, 100000)), 2, "input.size must be a square", true),
        new("card blocks_per_stage 1e8", d => TrainCard(d, c => c["architecture"]!["blocks_per_stage"] = 100_000_000), 2, "'architecture.blocks_per_stage' must be in 1..1024", true),
        new("card class_list_file /dev/zero", d => TrainCard(d, c => c["class_list_file"] = "/dev/zero"), 2, "is a character device", true),
        new("card std 0", d => TrainCard(d, c => c["input"]!["pixel_normalisation"]!["std"] = new JsonArray(0.2, 0, 0.2)), 2, "std[1]' must be a finite number > 0", true),
        new("card bytes mismatch", d => TrainCard(d, c => c["weights"]!["bytes"] = 12345), 2, "(weights.bytes): wrong or damaged file", true),
        new("card sha256 mismatch", d => TrainCard(d, c => c["weights"]!["sha256"] = new string('0', 64)), 2, "(weights.sha256): wrong or damaged file", true),
        new("ResNet-56 weights in a ResNet-20 card", d => TrainCard(d, c => { c["weights"]!["file"] = SharedData.Path("models", "cifar10-resnet56.safetensors"); }), 2, "wrong or damaged file", true),
        new("card weights file is a FIFO", d => TrainCard(d, c => { c["weights"]!["file"] = Fifo(d, "w.safetensors"); c["weights"]!.AsObject().Remove("sha256"); c["weights"]!.AsObject().Remove("bytes"); }), 2, "is a FIFO", true),
        new("ResNet-56 weights in a ResNet-20 card without sha256/bytes", d => TrainCard(d, c => { c["weights"]!["file"] = SharedData.Path("models", "cifar10-resnet56.safetensors"); c["weights"]!.AsObject().Remove("sha256"); c["weights"]!.AsObject().Remove("bytes"); }), 2, "unused", true),
        new("lr 1e30 diverges", d => Diverging(d), 3, "training diverged at step", true),
        new("encode --max-image-pixels 10 on an 8x8 PNG", d => new[] { "encode", "--model", SharedData.Path("fixtures", "tiny-clip"), "--images", Png(d, "x.png"), "--out", Path.Combine(d, "e.safetensors"), "--max-image-pixels", "10" }, 2, "above the limit of 10 (--max-image-pixels)", true),
        new("score --max-image-pixels 10 on an 8x8 PNG", d => new[] { "score", "--model", SharedData.Path("fixtures", "tiny-llava"), "--image", Png(d, "x.png"), "--question", "q", "--candidates", "a", "--max-image-pixels", "10" }, 2, "above the limit of 10 (--max-image-pixels)", true),
        new("generate --max-image-pixels 10 on an 8x8 PNG", d => new[] { "generate", "--model", SharedData.Path("fixtures", "tiny-llava"), "--image", Png(d, "x.png"), "--question", "q", "--max-image-pixels", "10" }, 2, "above the limit of 10 (--max-image-pixels)", true),
        new("generate token id out of range", d => new[] { "generate", "--model", SharedData.Path("fixtures", "tiny-llava"), "--image", Png(d, "x.png"), "--input-ids", "1,999999" }, 2, "token id 999999 is outside the model's vocabulary", true),
        new("CLIP layers 1 (weights hold more)", d => EncodeClipWithWeights(d, "vision_config", "num_hidden_layers", 1), 2, "unused", true),
        new("CLIP heads not dividing hidden", d => EncodeClip(d, "vision_config", "num_attention_heads", 7), 2, "num_attention_heads", true),
        // HF CLIP configs (tiny fixture, config edited)
        new("CLIP heads 0", d => EncodeClip(d, "vision_config", "num_attention_heads", 0), 2, "'num_attention_heads' must be in 1..", true),
        new("CLIP hidden -64", d => EncodeClip(d, "text_config", "hidden_size", -64), 2, "'hidden_size' must be in 1..", true),
        new("CLIP patch 0", d => EncodeClip(d, "vision_config", "patch_size", 0), 2, "'patch_size' must be in 1..", true),
        new("CLIP vocab -5", d => EncodeClip(d, "text_config", "vocab_size", -5), 2, "'vocab_size' must be in 1..", true),
        new("CLIP image_size 1e6", d => EncodeClip(d, "vision_config", "image_size", 1e6), 2, "'image_size' must be in 1..8192", true),
        new("CLIP layers -2", d => EncodeClip(d, "vision_config", "num_hidden_layers", -2), 2, "'num_hidden_layers' must be in 1..1024", true),
        new("CLIP layers 1e9", d => EncodeClip(d, "text_config", "num_hidden_layers", 1_000_000_000), 2, "'num_hidden_layers' must be in 1..1024", true),
        new("CLIP layer_norm_eps -1", d => EncodeClip(d, "vision_config", "layer_norm_eps", -1), 2, "'layer_norm_eps' must be a finite number > 0", true),
        new("CLIP hidden 2.5", d => EncodeClip(d, "vision_config", "hidden_size", 2.5), 2, "'hidden_size' should be a 32-bit integer", true),
        // token ids
        new("score token id out of range", d => new[] { "score", "--model", SharedData.Path("fixtures", "tiny-llama"), "--input-ids", "1,5,999999", "--candidate-ids", "3" }, 2, "token id 999999 is outside the model's vocabulary", true),
        new("score question under --prompt", d => new[] { "score", "--model", SharedData.Path("fixtures", "tiny-llama"), "--prompt", "What is in the image?", "--input-ids", "1,5", "--candidate-ids", "3" }, 2, "--prompt expects a prompt file (prompt.safetensors), not text; the question text is --question", true),
        new("generate question under --prompt", d => new[] { "generate", "--model", SharedData.Path("fixtures", "tiny-llava"), "--prompt", "What is in the image?" }, 2, "the question text is --question", true),
        new("score negative token id", d => new[] { "score", "--model", SharedData.Path("fixtures", "tiny-llama"), "--input-ids", "1,5", "--candidate-ids", "-3" }, 2, "token id -3 is outside", true),
    };

    public static TheoryData<string> Names() => new(Rows.Where(r => !r.NeedsShared).Select(r => r.Name));
    public static TheoryData<string> SharedNames() => new(Rows.Where(r => r.NeedsShared).Select(r => r.Name));

    [Theory]
    [MemberData(nameof(Names))]
    public void BadInputIsOneClearLine(string name) => Check(Rows.Single(r => r.Name == name));

    [SharedTheory]
    [MemberData(nameof(SharedNames))]
    public void BadModelInputIsOneClearLine(string name) => Check(Rows.Single(r => r.Name == name));

    private static void Check(Row row)
    {
        using var dir = new TempDir();
        var r = InProcessCli.Run(row.Args(dir.Path));
        Assert.True(r.ExitCode == row.Exit, $"{row.Name}: exit {r.ExitCode}, expected {row.Exit}; stderr: {r.Stderr}");
        Assert.True(r.Stderr.Contains(row.Fragment, StringComparison.Ordinal), $"{row.Name}: stderr lacks \"{row.Fragment}\": {r.Stderr}");
        Assert.DoesNotContain("   at ", r.Stderr); // no stack trace
        Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error:", StringComparison.Ordinal));
        Record(row, r.ExitCode, r.Stderr);
    }

    private static readonly object TableLock = new();

    /// <summary>With TVP_BAD_INPUT_TABLE=FILE, appends the row as markdown (input | exit | message, temp paths shortened) for the closing note.</summary>
    private static void Record(Row row, int exit, string stderr)
    {
        if (Environment.GetEnvironmentVariable("TVP_BAD_INPUT_TABLE") is not { Length: > 0 } file) return;
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        int at = Array.FindIndex(lines, l => l.StartsWith("error:", StringComparison.Ordinal));
        // A message may list its problems on indented lines after the error line (checkpoint mismatches): keep two.
        var line = string.Join(" ", lines.Skip(at).Take(3).TakeWhile((l, i) => i == 0 || l.StartsWith("  ", StringComparison.Ordinal)).Select(l => l.Trim()));
        line = System.Text.RegularExpressions.Regex.Replace(line, @"/tmp/tvp-test-[0-9a-f]+/", "$TMP/").Replace(SharedData.Root, "$SHARED").Replace("|", "\\|");
        lock (TableLock) File.AppendAllText(file, $"| {row.Name} | {exit} | `{line}` |\n");
    }

    [Fact]
    public void AllowTruncatedImagesDecodesWithAWarning()
    {
        using var dir = new TempDir();
        var image = Truncated(dir.Path, "t.jpg", Jpeg(64, 64), 0.6); // a JPEG cut mid-scan still decodes (the rest filled in)
        var refused = InProcessCli.Run(Apply(dir.Path, image));
        Assert.Equal(2, refused.ExitCode);
        var r = InProcessCli.Run(Apply(dir.Path, image).Concat(new[] { "--allow-truncated-images" }).ToArray());
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("truncated", r.Stderr);
        Assert.True(File.Exists(Path.Combine(dir.Path, "o", "t.png")));
    }

    [SharedFact]
    public void ADivergedRunKeepsItsBestPromptOnDisk()
    {
        using var dir = new TempDir();
        var args = Diverging(dir.Path);
        var r = InProcessCli.Run(args);
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("the best prompt (step", r.Stderr);
        var saved = Path.Combine(dir.Path, "run", "prompt.safetensors");
        Assert.True(File.Exists(saved), $"the message says the best prompt is kept, but {saved} is missing; stderr: {r.Stderr}");
        var (prompt, _) = Tvp.Prompts.PromptFile.Load(saved); // refuses non-finite or implausible values
        prompt.Dispose();
    }

    [Fact]
    public void ASecondRunOnTheSameOutFailsAtOnce()
    {
        using var dir = new TempDir();
        var run = Path.Combine(dir.Path, "run");
        var (held, _) = RunFolder.Open(run, new TvpOptions(), resume: false);
        using (held)
        {
            var r = InProcessCli.Run("train", "--data", Folder(dir.Path), "--source", "no-such-model", "--out", run, "--overwrite", "--quiet");
            Assert.Equal(2, r.ExitCode);
            Assert.Contains("is in use by another tvp run", r.Stderr);
            Assert.Contains($"pid {Environment.ProcessId}", r.Stderr);
        }
    }
}
