using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tvp.IO.Json;

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
        var card = ConfigJson.ReadFile<ModelCardJson>(cardPath, "model card");
        var dir = Path.GetDirectoryName(Path.GetFullPath(cardPath))!;
        InvalidDataException Error(string what) => new($"{cardPath}: {what}");
        InvalidDataException Missing(string path) => path.LastIndexOf('.') is var dot and > 0
            ? Error($"missing field '{path[(dot + 1)..]}' in '{path[..dot]}'") : Error($"missing field '{path}'");
        T Need<T>(T? value, string field) where T : class => value ?? throw Missing(field);
        T NeedValue<T>(T? value, string field) where T : struct => value ?? throw Missing(field);

        var kind = DetectKind(card.Family, card.Architecture?.Type) ?? throw new InvalidDataException(
            $"{cardPath}: unknown architecture (family '{card.Family ?? "?"}'); known: CIFAR ResNet, MobileNetV1, MobileNetV2");
        var arch = Need(card.Architecture, "architecture");
        ArchitectureSpec spec = kind switch
        {
            Kinds.CifarResNet => new CifarResNetSpec(NeedValue(arch.Depth, "architecture.depth"), NeedValue(arch.BlocksPerStage, "architecture.blocks_per_stage"),
                Need(arch.StageChannels, "architecture.stage_channels"), Need(arch.StageStrides, "architecture.stage_strides")),
            Kinds.MobileNetV1 => new MobileNetV1Spec(NeedValue(arch.WidthMultiplier, "architecture.width_multiplier")),
            _ => new MobileNetV2Spec(NeedValue(arch.WidthMultiplier, "architecture.width_multiplier"),
                Need(arch.InvertedResidualSetting, "architecture.inverted_residual_setting_t_c_n_s").Select(row => row is { Length: 4 }
                    ? (row[0], row[1], row[2], row[3])
                    : throw Error("architecture.inverted_residual_setting_t_c_n_s rows must be [t, c, n, s]")).ToArray()),
        };

        var limits = IO.Limits.Current;
        var input = Need(card.Input, "input");
        var size = Need(input.Size, "input.size");
        if (size.Length != 2 || size[0] != size[1] || size[0] <= 0 || size[0] > limits.MaxCanvasSize)
            throw new InvalidDataException($"{cardPath}: input.size must be a square [H, W] with sides in 1..{limits.MaxCanvasSize}, got [{string.Join(",", size)}]");
        var norm = Need(input.PixelNormalisation, "input.pixel_normalisation");
        float[] Three(double[]? values, string field) => Need(values, field) is { Length: 3 } v
            ? v.Select(x => (float)x).ToArray() : throw Error($"field '{field}' should hold 3 numbers");
        var mean = Three(norm.Mean, "input.pixel_normalisation.mean");
        var std = Three(norm.Std, "input.pixel_normalisation.std");
        for (int c = 0; c < 3; c++)
        {
            IO.Limits.FiniteAbove(cardPath, $"input.pixel_normalisation.std[{c}]", std[c], 0);
            if (!float.IsFinite(mean[c])) throw Error($"'input.pixel_normalisation.mean[{c}]' must be finite, got {mean[c]}");
        }
        int numClasses = IO.Limits.Positive(cardPath, "num_classes", NeedValue(card.NumClasses, "num_classes"), limits.MaxVocabulary);
        spec.Validate(cardPath, size[0], numClasses, limits);

        var weights = Need(card.Weights, "weights");
        var weightsFile = Need(weights.File, "weights.file");
        var weightsPath = Path.Combine(dir, weightsFile);
        if (!File.Exists(weightsPath))
            throw new FileNotFoundException($"{cardPath}: the weights file '{weightsFile}' named by the card is missing (looked for {weightsPath})", weightsPath);
        IO.InputFile.RequireRegular(weightsPath);
        CheckWeightsFile(cardPath, weights, weightsPath);

        var paddingText = Need(card.PaddingConvention, "padding_convention");
        var padding = paddingText.Contains("SAME", StringComparison.Ordinal) ? PaddingRule.TfSame
            : paddingText.Contains("symmetric", StringComparison.OrdinalIgnoreCase) ? PaddingRule.Symmetric
            : throw new InvalidDataException($"{cardPath}: padding_convention names neither TF \"SAME\" nor symmetric padding: '{paddingText}'");

        var labels = ReadLabels(cardPath, card, dir, numClasses);

        return new ModelCard(cardPath, card.Name ?? Path.GetFileNameWithoutExtension(cardPath),
            card.Family ?? kind, spec, weightsPath, size[0], mean, std, padding, labels, ReadChecks(cardPath, card));
    }

    /// <summary>
    /// The card's <c>weights.bytes</c> and <c>weights.sha256</c>, when present, must match the file (the hash is
    /// cached by size and modification time, so it is computed once per file version).
    /// </summary>
    private static void CheckWeightsFile(string cardPath, ModelCardJson.WeightsJson weights, string weightsPath)
    {
        long actual = new FileInfo(weightsPath).Length;
        if (weights.Bytes is long expected && expected != actual)
            throw new InvalidDataException($"{cardPath}: the weights file {weightsPath} has {actual} bytes but the card says {expected} (weights.bytes): wrong or damaged file");
        if (weights.Sha256 is { } sha)
        {
            var hash = IO.FileHashCache.Sha256(weightsPath, ModelRegistry.CacheFolder());
            if (!string.Equals(hash, sha.Trim(), StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException($"{cardPath}: the weights file {weightsPath} has SHA-256 {hash} but the card says {sha} (weights.sha256): wrong or damaged file");
        }
    }

    /// <summary>The architecture a card describes ("cifar-resnet", "mobilenet-v1", "mobilenet-v2"), or null when the file is no classifier card. Never throws.</summary>
    public static string? TryDetectArchitecture(string path)
    {
        try
        {
            var k = ConfigJson.ReadFile<ModelCardJson.KindJson>(path);
            return k.Architecture is null ? null : DetectKind(k.Family, k.Architecture.Type);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException) { return null; }
    }

    private static class Kinds
    {
        public const string CifarResNet = "cifar-resnet", MobileNetV1 = "mobilenet-v1", MobileNetV2 = "mobilenet-v2";
    }

    /// <summary>An explicit architecture.type wins; otherwise the family line (as written by the cards' converter).</summary>
    private static string? DetectKind(string? family, string? type)
    {
        if (type is not null) return type is Kinds.CifarResNet or Kinds.MobileNetV1 or Kinds.MobileNetV2 ? type : null;
        if (family is null) return null;
        if (family.StartsWith("ResNet for CIFAR", StringComparison.Ordinal)) return Kinds.CifarResNet;
        if (family.StartsWith("MobileNetV1", StringComparison.Ordinal)) return Kinds.MobileNetV1;
        if (family.StartsWith("MobileNetV2", StringComparison.Ordinal)) return Kinds.MobileNetV2;
        return null;
    }

    /// <summary>Labels from class_list_file (relative to the card); the card's class_order when that file is absent.</summary>
    private static IReadOnlyList<string> ReadLabels(string cardPath, ModelCardJson card, string dir, int numClasses)
    {
        var file = card.ClassListFile;
        string[]? labels = null;
        string source;
        if (file is not null && File.Exists(Path.Combine(dir, file)))
        {
            source = Path.Combine(dir, file);
            var lines = IO.InputFile.ReadAllLines(source).ToList(); // refuses /dev/zero, FIFOs and oversized files
            while (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
            if (lines.Count > numClasses) throw new InvalidDataException($"{cardPath}: {source} has {lines.Count} labels but num_classes is {numClasses}");
            labels = lines.ToArray();
        }
        else if (card.ClassOrder is { } order)
        {
            source = "class_order";
            labels = order.Select(l => l ?? "").ToArray();
        }
        else
        {
            throw file is null
                ? new InvalidDataException($"{cardPath}: no class_list_file and no class_order")
                : new FileNotFoundException($"{cardPath}: the label file '{file}' named by the card is missing (looked for {Path.Combine(dir, file)})");
        }
        if (labels.Length != numClasses)
            throw new InvalidDataException($"{cardPath}: {source} has {labels.Length} labels but num_classes is {numClasses}");
        return labels;
    }

    private static readonly Regex PredictionPattern = new(@"^(?<name>.*) \((?<p>[0-9.]+)\) \[#(?<idx>\d+)\]$", RegexOptions.CultureInvariant);

    /// <summary>The card's checks: <c>checks</c> is a list of notes, or an object with sample predictions.</summary>
    private static CardChecks ReadChecks(string cardPath, ModelCardJson card)
    {
        var notes = new List<string>();
        string? samplePreprocessing = null;
        var samples = new Dictionary<string, IReadOnlyList<ExpectedPrediction>>(StringComparer.Ordinal);
        if (card.Checks is { ValueKind: JsonValueKind.Array } list)
            notes.AddRange(ConfigJson.BindArray<string?>(list, cardPath + " checks").OfType<string>());
        else if (card.Checks is { ValueKind: JsonValueKind.Object } o)
        {
            var checks = ConfigJson.Bind<ModelCardJson.ChecksJson>(o, cardPath + " checks");
            samplePreprocessing = checks.SampleImages;
            foreach (var (image, lines) in checks.Top5PerImage ?? new())
                samples[image] = lines.Select(line => ParsePrediction(cardPath, image, line)).ToArray();
        }
        double? measured = card.Accuracy?.Measured is { ValueKind: JsonValueKind.Object } m
            ? ConfigJson.Bind<ModelCardJson.MeasuredJson>(m, cardPath + " accuracy.measured").Cifar10TestTop1Percent
            : null;
        return new CardChecks(measured, samplePreprocessing, samples, notes);
    }

    private static ExpectedPrediction ParsePrediction(string cardPath, string image, string? text)
    {
        var match = PredictionPattern.Match(text ?? "");
        if (!match.Success) throw new InvalidDataException($"{cardPath}: checks.top5_per_image['{image}']: expected \"label (p) [#index]\", got '{text}'");
        return new ExpectedPrediction(int.Parse(match.Groups["idx"].Value, CultureInfo.InvariantCulture), match.Groups["name"].Value,
            double.Parse(match.Groups["p"].Value, CultureInfo.InvariantCulture));
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
