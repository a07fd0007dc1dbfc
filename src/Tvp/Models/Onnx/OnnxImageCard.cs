using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tvp.Models.Onnx;

/// <summary>
/// The JSON card that makes an ONNX image model usable as a source, target or guide image tower:
/// <code>
/// { "name": "my-resnet", "onnx": "model.onnx", "input": "data", "input_size": 224,
///   "scale": 1, "mean": [0.485,0.456,0.406], "std": [0.229,0.224,0.225], "channel_order": "RGB",
///   "interpolation": "bilinear", "preprocess_onnx": null,
///   "features_output": "features", "logits_output": "logits", "labels": "labels.txt" }
/// </code>
/// The model is fed <c>(pixel · scale − mean) / std</c>, per channel in the model's channel order (mean/std are
/// in the units after scaling: [0,1] units for scale 1, 0–255 units for scale 255), resized to input_size
/// first. <c>preprocess_onnx</c> is an optional ONNX graph applied after that (e.g. a per-pixel mean image).
/// Paths are relative to the card. Only "onnx" is required: input and features_output default to the
/// graph's first input/output, input_size to the input's fixed spatial size, mean/std to 0/1, scale to 1.
/// </summary>
internal sealed class OnnxImageCard
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("description")] public string? Description { get; set; }
    [JsonPropertyName("onnx")] public string? Onnx { get; set; }
    [JsonPropertyName("input")] public string? Input { get; set; }
    [JsonPropertyName("input_size")] public int? InputSize { get; set; }
    [JsonPropertyName("scale")] public float Scale { get; set; } = 1f;
    [JsonPropertyName("mean")] public float[]? Mean { get; set; }
    [JsonPropertyName("std")] public float[]? Std { get; set; }
    [JsonPropertyName("channel_order")] public string ChannelOrder { get; set; } = "RGB";
    [JsonPropertyName("interpolation")] public string Interpolation { get; set; } = "bilinear";
    [JsonPropertyName("preprocess_onnx")] public string? PreprocessOnnx { get; set; }
    [JsonPropertyName("preprocess_input")] public string? PreprocessInput { get; set; }
    [JsonPropertyName("features_output")] public string? FeaturesOutput { get; set; }
    [JsonPropertyName("logits_output")] public string? LogitsOutput { get; set; }
    [JsonPropertyName("labels")] public string? Labels { get; set; }

    /// <summary>The card's own path (paths in it are relative to its folder); null for cards built in code.</summary>
    [JsonIgnore] public string? CardPath { get; set; }

    private static readonly JsonSerializerOptions Json = new() { ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>Reads and checks a card.</summary>
    public static OnnxImageCard Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"ONNX model card not found: {path}", path);
        OnnxImageCard? card;
        try { card = JsonSerializer.Deserialize<OnnxImageCard>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: invalid ONNX model card ({e.Message})", e); }
        if (card is null) throw new InvalidDataException($"{path}: empty ONNX model card");
        card.CardPath = Path.GetFullPath(path);
        card.Validate();
        return card;
    }

    /// <summary>True when <paramref name="path"/> is a JSON file with an "onnx" field (a card).</summary>
    public static bool IsCard(string path)
    {
        if (!File.Exists(path) || !path.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) return false;
        try { return JsonSerializer.Deserialize<OnnxField>(File.ReadAllText(path), Json)?.Onnx is not null; }
        catch (JsonException) { return false; }
    }

    /// <summary>Just the "onnx" member (what tells a card from other JSON files).</summary>
    private sealed record OnnxField([property: JsonPropertyName("onnx")] string? Onnx);

    private string Where => CardPath ?? "ONNX model card";

    /// <summary>Checks the fields (not the files).</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Onnx)) throw new InvalidDataException($"{Where}: \"onnx\" (the model file) is required");
        if (Mean is { Length: not 3 }) throw new InvalidDataException($"{Where}: \"mean\" needs 3 values, has {Mean.Length}");
        if (Std is { Length: not 3 }) throw new InvalidDataException($"{Where}: \"std\" needs 3 values, has {Std.Length}");
        if (Std is not null && Std.Any(s => s == 0)) throw new InvalidDataException($"{Where}: \"std\" must not contain 0");
        if (Scale <= 0) throw new InvalidDataException($"{Where}: \"scale\" must be positive (1 or 255), is {Scale}");
        if (ChannelOrder is not ("RGB" or "BGR")) throw new InvalidDataException($"{Where}: \"channel_order\" must be RGB or BGR, is '{ChannelOrder}'");
        if (Interpolation is not ("bilinear" or "bicubic" or "nearest" or "area")) throw new InvalidDataException($"{Where}: \"interpolation\" must be bilinear, bicubic, nearest or area, is '{Interpolation}'");
        if (InputSize is <= 0) throw new InvalidDataException($"{Where}: \"input_size\" must be positive");
    }

    /// <summary>A path from the card, resolved against the card's folder.</summary>
    public string Resolve(string relative) =>
        CardPath is null || Path.IsPathRooted(relative) ? relative : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(CardPath)!, relative));

    /// <summary>Short name: "name", else the card's (or model's) file name without extension.</summary>
    public string DisplayName => Name ?? Path.GetFileNameWithoutExtension(CardPath ?? Onnx ?? "onnx");
}
