using System.Text.Json;
using Tvp.Data;
using static TorchSharp.torch;

namespace Tvp.Models.Onnx;

/// <summary>
/// Any ONNX image model as a promptable model, run through <see cref="OnnxGraph"/> so gradients reach the
/// prompt's pixels. Its card (<see cref="OnnxImageCard"/>) gives the preprocessing, the features output
/// (what FCA compares) and optionally a logits output with labels, in which case the model is an
/// <see cref="OnnxClassifierPromptable"/>. Frozen: the weights never need gradients.
/// </summary>
public class OnnxImagePromptable : IPromptableModel
{
    private readonly OnnxGraph _graph;
    private readonly OnnxGraph? _preprocess;
    private readonly string _input;
    private readonly string? _preprocessInput;
    private readonly bool _bgr;

    /// <summary>Name, family ("onnx"), input size and the per-channel normalisation applied before the graph.</summary>
    public ModelInfo Info { get; }

    /// <summary>The device the model runs on.</summary>
    public Device Device => _graph.Device;

    /// <summary>Name of the graph output used as image features.</summary>
    public string FeaturesOutput { get; }

    /// <summary>The imported graph.</summary>
    internal OnnxGraph Graph => _graph;

    internal OnnxImagePromptable(OnnxImageCard card, Device device)
    {
        card.Validate();
        var onnxPath = card.Resolve(card.Onnx!);
        _graph = OnnxGraph.Load(onnxPath, device);
        try
        {
            _input = card.Input ?? _graph.Inputs.FirstOrDefault()?.Name
                ?? throw new InvalidDataException($"{onnxPath}: the graph has no inputs");
            var inputInfo = _graph.Inputs.FirstOrDefault(i => i.Name == _input)
                ?? throw new InvalidDataException($"{card.CardPath ?? onnxPath}: input '{_input}' is not a graph input ({string.Join(", ", _graph.Inputs)})");
            FeaturesOutput = card.FeaturesOutput ?? _graph.Outputs[0].Name;
            CheckValue(card, FeaturesOutput, "features_output");
            if (card.LogitsOutput is { } logits) CheckValue(card, logits, "logits_output");

            int? size = card.InputSize;
            if (size is null && inputInfo.Dims.Count == 4 && int.TryParse(inputInfo.Dims[3], out var w) && w > 0) size = w;
            _bgr = card.ChannelOrder == "BGR";
            // (pixel·scale − mean)/std == (pixel − mean/scale)/(std/scale): ModelInput works in [0,1] units, RGB order.
            var mean = (card.Mean ?? new float[3]).Select(m => m / card.Scale).ToArray();
            var std = (card.Std ?? new[] { 1f, 1f, 1f }).Select(s => s / card.Scale).ToArray();
            if (_bgr) { Array.Reverse(mean); Array.Reverse(std); }
            Info = new ModelInfo(card.DisplayName, "onnx", size, mean, std, card.Interpolation);

            if (card.PreprocessOnnx is { } prep)
            {
                _preprocess = OnnxGraph.Load(card.Resolve(prep), device);
                _preprocessInput = card.PreprocessInput ?? _preprocess.Inputs[0].Name;
            }
        }
        catch
        {
            _graph.Dispose();
            _preprocess?.Dispose();
            throw;
        }
    }

    private void CheckValue(OnnxImageCard card, string name, string field)
    {
        if (_graph.Outputs.Any(o => o.Name == name)) return;
        throw new InvalidDataException($"{card.CardPath ?? card.Onnx}: {field} '{name}' is not a graph output ({string.Join(", ", _graph.Outputs)})");
    }

    /// <summary>Loads a card (.json) or an .onnx file with its card beside it (same name, .json).</summary>
    public static OnnxImagePromptable Load(string path, Device? device = null)
    {
        var card = OnnxImageCard.Load(CardPathFor(path));
        return Create(card, device ?? CPU);
    }

    internal static OnnxImagePromptable Create(OnnxImageCard card, Device device) =>
        card.LogitsOutput is not null && card.Labels is not null ? new OnnxClassifierPromptable(card, device) : new OnnxImagePromptable(card, device);

    /// <summary>The card for <paramref name="path"/>: the path itself when it is a .json card, else model.json beside model.onnx.</summary>
    internal static string CardPathFor(string path)
    {
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) return path;
        var card = Path.ChangeExtension(path, ".json");
        if (File.Exists(card)) return card;
        throw new FileNotFoundException(
            $"{path}: an ONNX model needs a card beside it ({card}) saying how to feed it, e.g. {ExampleCard(Path.GetFileName(path))}", card);
    }

    /// <summary>An example card (ImageNet mean/std at 224 px) for <paramref name="onnxFile"/>, as JSON on one line.</summary>
    private static string ExampleCard(string onnxFile)
    {
        var example = new OnnxImageCard { Onnx = onnxFile, InputSize = 224, Mean = [0.485f, 0.456f, 0.406f], Std = [0.229f, 0.224f, 0.225f] };
        return JsonSerializer.Serialize(example, new JsonSerializerOptions { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull });
    }

    /// <summary>
    /// The NuGet ResNet-18 (ImageNet, CNTK export) as a frozen feature extractor: 224 px bilinear, RGB × 255,
    /// then its own preprocessing graph (to BGR, minus the per-pixel ImageNet mean image); features [B,512]
    /// from global average pooling. No classifier head ships with it.
    /// </summary>
    internal static OnnxImagePromptable ResNet18Features(Device? device = null) => new(ResNet18Card(), device ?? CPU);

    /// <summary>The card of the NuGet ResNet-18 (absolute paths from <see cref="OnnxAssets"/>).</summary>
    internal static OnnxImageCard ResNet18Card() => new()
    {
        Name = "resnet18-onnx",
        Description = "ImageNet ResNet-18 features (Microsoft.ML.DnnImageFeaturizer.ResNet18, CNTK ONNX export)",
        Onnx = OnnxAssets.ResNet18Path(),
        Input = "Input247",
        InputSize = 224,
        Scale = 255f,
        ChannelOrder = "RGB",
        Interpolation = "bilinear",
        PreprocessOnnx = OnnxAssets.ResNet18PreprocessPath(),
        PreprocessInput = "OriginalInput",
        FeaturesOutput = "Pooling395_Output_0",
    };

    /// <summary>Runs the graph on prompted canvases [B,3,H,W] (raw pixel space) and returns the requested outputs.</summary>
    internal Dictionary<string, Tensor> Forward(Tensor pixels, params string[] outputs)
    {
        using var scope = NewDisposeScope();
        var x = ModelInput.Prepare(pixels.to(Device), Info); // [B, 3, S, S]
        if (_bgr) x = x.flip(1);
        if (_preprocess is not null) x = _preprocess.Run(_preprocessInput!, x);
        var result = _graph.Run(new Dictionary<string, Tensor> { [_input] = x }, outputs);
        foreach (var t in result.Values) t.MoveToOuterDisposeScope();
        return result;
    }

    /// <summary>The features output flattened to [B, D].</summary>
    public Tensor ImageFeatures(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        var f = Forward(pixels, FeaturesOutput)[FeaturesOutput];
        return f.reshape(f.shape[0], -1).MoveToOuterDisposeScope(); // [B, D]
    }

    /// <summary>Cross-entropy over label-mapped logits; only models with a logits output and labels have one.</summary>
    public virtual Tensor TaskLoss(Tensor pixels, TaskBatch batch) => throw NoHead();

    /// <summary>Log-softmax over label-mapped logits; only models with a logits output and labels have one.</summary>
    public virtual Tensor Score(Tensor pixels, TaskBatch batch) => throw NoHead();

    private NotSupportedException NoHead() => new(
        $"{Info.Name}: this ONNX model has no classifier head (its card sets no logits_output and labels), so it can only be an FCA source feature extractor or an image tower, not scored");

    /// <summary>Frees the graphs.</summary>
    public void Dispose()
    {
        _graph.Dispose();
        _preprocess?.Dispose();
        GC.SuppressFinalize(this);
    }
}
