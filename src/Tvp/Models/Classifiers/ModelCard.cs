using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Tvp.Models.Classifiers;

/// <summary>
/// A classifier's JSON model card (shared/models/*.json): architecture, input size, normalisation,
/// padding rule, label list, weights file and the reference checks. Paths in the card are relative to
/// the card. Every error names the card.
/// </summary>
internal sealed record ModelCard(
    string CardPath,
    string Name,
    string Family,
    ArchitectureSpec Architecture,
    string WeightsPath,
    int InputSize,
    float[] Mean,
    float[] Std,
    PaddingRule Padding,
    IReadOnlyList<string> Labels,
    CardChecks Checks)
{
    /// <summary>Reads and validates a card; the weights file must exist.</summary>
    /// <exception cref="FileNotFoundException">The card, or the weights file it names, is missing.</exception>
    /// <exception cref="InvalidDataException">Malformed JSON, an unknown architecture, or a missing/invalid field.</exception>
    public static ModelCard Read(string cardPath)
    {
        if (!File.Exists(cardPath)) throw new FileNotFoundException($"model card not found: {cardPath}", cardPath);
        using var doc = Parse(cardPath);
        var root = doc.RootElement;
        var r = new Reader(cardPath);
        var dir = Path.GetDirectoryName(Path.GetFullPath(cardPath))!;

        var kind = DetectKind(root) ?? throw new InvalidDataException(
            $"{cardPath}: unknown architecture (family '{r.OptString(root, "family") ?? "?"}'); known: CIFAR ResNet, MobileNetV1, MobileNetV2");
        var arch = r.Obj(root, "architecture");
        ArchitectureSpec spec = kind switch
        {
            Kinds.CifarResNet => new CifarResNetSpec(
                r.Int(arch, "depth"), r.Int(arch, "blocks_per_stage"), r.IntArray(arch, "stage_channels"), r.IntArray(arch, "stage_strides")),
            Kinds.MobileNetV1 => new MobileNetV1Spec(r.Double(arch, "width_multiplier")),
            _ => new MobileNetV2Spec(r.Double(arch, "width_multiplier"),
                r.Array(arch, "inverted_residual_setting_t_c_n_s").Select(row => ToTcns(r, row)).ToArray()),
        };

        var limits = IO.Limits.Current;
        var input = r.Obj(root, "input");
        var size = r.IntArray(input, "size");
        if (size.Length != 2 || size[0] != size[1] || size[0] <= 0 || size[0] > limits.MaxCanvasSize)
            throw new InvalidDataException($"{cardPath}: input.size must be a square [H, W] with sides in 1..{limits.MaxCanvasSize}, got [{string.Join(",", size)}]");
        var norm = r.Obj(input, "pixel_normalisation");
        var mean = r.FloatArray(norm, "mean", 3);
        var std = r.FloatArray(norm, "std", 3);
        for (int c = 0; c < 3; c++)
        {
            IO.Limits.FiniteAbove(cardPath, $"input.pixel_normalisation.std[{c}]", std[c], 0);
            if (!float.IsFinite(mean[c])) throw r.Error($"'input.pixel_normalisation.mean[{c}]' must be finite, got {mean[c]}");
        }
        int numClasses = IO.Limits.Positive(cardPath, "num_classes", r.Int(root, "num_classes"), limits.MaxVocabulary);
        spec.Validate(cardPath, size[0], numClasses, limits);

        var weights = r.Obj(root, "weights");
        var weightsFile = r.String(weights, "file");
        var weightsPath = Path.Combine(dir, weightsFile);
        if (!File.Exists(weightsPath))
            throw new FileNotFoundException($"{cardPath}: the weights file '{weightsFile}' named by the card is missing (looked for {weightsPath})", weightsPath);
        IO.InputFile.RequireRegular(weightsPath);
        CheckWeightsFile(r, weights, weightsPath);

        var paddingText = r.String(root, "padding_convention");
        var padding = paddingText.Contains("SAME", StringComparison.Ordinal) ? PaddingRule.TfSame
            : paddingText.Contains("symmetric", StringComparison.OrdinalIgnoreCase) ? PaddingRule.Symmetric
            : throw new InvalidDataException($"{cardPath}: padding_convention names neither TF \"SAME\" nor symmetric padding: '{paddingText}'");

        var labels = ReadLabels(r, root, dir, numClasses);

        return new ModelCard(cardPath, r.OptString(root, "name") ?? Path.GetFileNameWithoutExtension(cardPath),
            r.OptString(root, "family") ?? kind, spec, weightsPath, size[0], mean, std, padding, labels, ReadChecks(r, root));
    }

    /// <summary>
    /// The card's <c>weights.bytes</c> and <c>weights.sha256</c>, when present, must match the file (the hash is
    /// cached by size and modification time, so it is computed once per file version).
    /// </summary>
    private static void CheckWeightsFile(Reader r, JsonElement weights, string weightsPath)
    {
        long actual = new FileInfo(weightsPath).Length;
        if (weights.TryGetProperty("bytes", out var b))
        {
            if (b.ValueKind != JsonValueKind.Number || !b.TryGetInt64(out var expected)) throw r.Error("field 'weights.bytes' should be an integer");
            if (expected != actual)
                throw r.Error($"the weights file {weightsPath} has {actual} bytes but the card says {expected} (weights.bytes): wrong or damaged file");
        }
        if (r.OptString(weights, "sha256") is { } sha)
        {
            var hash = IO.FileHashCache.Sha256(weightsPath, ModelRegistry.CacheFolder());
            if (!string.Equals(hash, sha.Trim(), StringComparison.OrdinalIgnoreCase))
                throw r.Error($"the weights file {weightsPath} has SHA-256 {hash} but the card says {sha} (weights.sha256): wrong or damaged file");
        }
    }

    /// <summary>The architecture a card describes ("cifar-resnet", "mobilenet-v1", "mobilenet-v2"), or null when the file is no classifier card. Never throws.</summary>
    public static string? TryDetectArchitecture(string path)
    {
        if (!path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || !File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(IO.InputFile.ReadAllText(path));
            return doc.RootElement.ValueKind == JsonValueKind.Object ? DetectKind(doc.RootElement) : null;
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or InvalidDataException) { return null; }
    }

    private static class Kinds
    {
        public const string CifarResNet = "cifar-resnet", MobileNetV1 = "mobilenet-v1", MobileNetV2 = "mobilenet-v2";
    }

    /// <summary>An explicit architecture.type wins; otherwise the family line (as written by the cards' converter).</summary>
    private static string? DetectKind(JsonElement root)
    {
        if (root.TryGetProperty("architecture", out var arch) && arch.ValueKind == JsonValueKind.Object
            && arch.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String)
        {
            var type = t.GetString();
            return type is Kinds.CifarResNet or Kinds.MobileNetV1 or Kinds.MobileNetV2 ? type : null;
        }
        if (!root.TryGetProperty("family", out var f) || f.ValueKind != JsonValueKind.String || arch.ValueKind != JsonValueKind.Object) return null;
        var family = f.GetString()!;
        if (family.StartsWith("ResNet for CIFAR", StringComparison.Ordinal)) return Kinds.CifarResNet;
        if (family.StartsWith("MobileNetV1", StringComparison.Ordinal)) return Kinds.MobileNetV1;
        if (family.StartsWith("MobileNetV2", StringComparison.Ordinal)) return Kinds.MobileNetV2;
        return null;
    }

    private static JsonDocument Parse(string cardPath)
    {
        try { return JsonDocument.Parse(IO.InputFile.ReadAllText(cardPath)); }
        catch (JsonException e) { throw new InvalidDataException($"{cardPath}: malformed JSON in model card ({e.Message})", e); }
    }

    private static (int, int, int, int) ToTcns(Reader r, JsonElement row)
    {
        if (row.ValueKind != JsonValueKind.Array || row.GetArrayLength() != 4 || row.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.Number))
            throw r.Error("architecture.inverted_residual_setting_t_c_n_s rows must be [t, c, n, s]");
        var v = row.EnumerateArray().Select(e => e.GetInt32()).ToArray();
        return (v[0], v[1], v[2], v[3]);
    }

    /// <summary>Labels from class_list_file (relative to the card); the card's class_order when that file is absent.</summary>
    private static IReadOnlyList<string> ReadLabels(Reader r, JsonElement root, string dir, int numClasses)
    {
        var file = r.OptString(root, "class_list_file");
        string[]? labels = null;
        string source;
        if (file is not null && File.Exists(Path.Combine(dir, file)))
        {
            source = Path.Combine(dir, file);
            var lines = IO.InputFile.ReadAllLines(source).ToList(); // refuses /dev/zero, FIFOs and oversized files
            while (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
            if (lines.Count > numClasses) throw r.Error($"{source} has {lines.Count} labels but num_classes is {numClasses}");
            labels = lines.ToArray();
        }
        else if (root.TryGetProperty("class_order", out var order) && order.ValueKind == JsonValueKind.Array)
        {
            source = "class_order";
            labels = order.EnumerateArray().Select(e => e.GetString() ?? "").ToArray();
        }
        else
        {
            throw file is null
                ? r.Error("no class_list_file and no class_order")
                : new FileNotFoundException($"{r.CardPath}: the label file '{file}' named by the card is missing (looked for {Path.Combine(dir, file)})");
        }
        if (labels.Length != numClasses)
            throw r.Error($"{source} has {labels.Length} labels but num_classes is {numClasses}");
        return labels;
    }

    private static readonly Regex PredictionPattern = new(@"^(?<name>.*) \((?<p>[0-9.]+)\) \[#(?<idx>\d+)\]$", RegexOptions.CultureInvariant);

    private static CardChecks ReadChecks(Reader r, JsonElement root)
    {
        double? measured = null;
        if (root.TryGetProperty("accuracy", out var acc) && acc.ValueKind == JsonValueKind.Object
            && acc.TryGetProperty("measured", out var m) && m.ValueKind == JsonValueKind.Object
            && m.TryGetProperty("shared_data_cifar10_test_top1_percent", out var top1) && top1.ValueKind == JsonValueKind.Number)
            measured = top1.GetDouble();
        var notes = new List<string>();
        string? samplePreprocessing = null;
        var samples = new Dictionary<string, IReadOnlyList<ExpectedPrediction>>(StringComparer.Ordinal);
        if (root.TryGetProperty("checks", out var checks))
        {
            if (checks.ValueKind == JsonValueKind.Array)
                notes.AddRange(checks.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!));
            else if (checks.ValueKind == JsonValueKind.Object)
            {
                samplePreprocessing = r.OptString(checks, "sample_images");
                if (checks.TryGetProperty("top5_per_image", out var per) && per.ValueKind == JsonValueKind.Object)
                    foreach (var image in per.EnumerateObject())
                        samples[image.Name] = image.Value.EnumerateArray().Select(e => ParsePrediction(r, image.Name, e)).ToArray();
            }
        }
        return new CardChecks(measured, samplePreprocessing, samples, notes);
    }

    private static ExpectedPrediction ParsePrediction(Reader r, string image, JsonElement e)
    {
        var text = e.ValueKind == JsonValueKind.String ? e.GetString()! : "";
        var match = PredictionPattern.Match(text);
        if (!match.Success) throw r.Error($"checks.top5_per_image['{image}']: expected \"label (p) [#index]\", got '{text}'");
        return new ExpectedPrediction(int.Parse(match.Groups["idx"].Value, CultureInfo.InvariantCulture), match.Groups["name"].Value,
            double.Parse(match.Groups["p"].Value, CultureInfo.InvariantCulture));
    }

    /// <summary>Field access that names the card and the field in every error.</summary>
    private readonly record struct Reader(string CardPath)
    {
        public InvalidDataException Error(string what) => new($"{CardPath}: {what}");

        private JsonElement Get(JsonElement obj, string name, JsonValueKind kind)
        {
            if (obj.ValueKind != JsonValueKind.Object || !obj.TryGetProperty(name, out var v))
                throw Error($"missing field '{name}'");
            if (v.ValueKind != kind) throw Error($"field '{name}' should be {kind}, is {v.ValueKind}");
            return v;
        }

        public JsonElement Obj(JsonElement o, string name) => Get(o, name, JsonValueKind.Object);
        public string String(JsonElement o, string name) => Get(o, name, JsonValueKind.String).GetString()!;
        public string? OptString(JsonElement o, string name) =>
            o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        public int Int(JsonElement o, string name) =>
            Get(o, name, JsonValueKind.Number).TryGetInt32(out var i) ? i : throw Error($"field '{name}' should be an integer");
        public double Double(JsonElement o, string name) => Get(o, name, JsonValueKind.Number).GetDouble();
        public JsonElement[] Array(JsonElement o, string name) => Get(o, name, JsonValueKind.Array).EnumerateArray().ToArray();

        public int[] IntArray(JsonElement o, string name)
        {
            var a = Array(o, name);
            if (a.Any(e => e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out _))) throw Error($"field '{name}' should hold integers");
            return a.Select(e => e.GetInt32()).ToArray();
        }

        public float[] FloatArray(JsonElement o, string name, int length)
        {
            var a = Array(o, name);
            if (a.Length != length || a.Any(e => e.ValueKind != JsonValueKind.Number)) throw Error($"field '{name}' should hold {length} numbers");
            return a.Select(e => (float)e.GetDouble()).ToArray();
        }
    }
}

/// <summary>One expected prediction from a card's checks: model label index, its name, its softmax probability.</summary>
internal sealed record ExpectedPrediction(int Label, string Name, double Probability);

/// <summary>The reference results a card records.</summary>
/// <param name="MeasuredTestTop1Percent">Top-1 (%) measured on shared/data/cifar10/test, when the card has one.</param>
/// <param name="SamplePreprocessing">How the sample images were prepared for <paramref name="SampleTop5"/>.</param>
/// <param name="SampleTop5">Per sample image file: the reference top-5 predictions, best first.</param>
/// <param name="Notes">Free-text checks.</param>
internal sealed record CardChecks(double? MeasuredTestTop1Percent, string? SamplePreprocessing,
    IReadOnlyDictionary<string, IReadOnlyList<ExpectedPrediction>> SampleTop5, IReadOnlyList<string> Notes);
