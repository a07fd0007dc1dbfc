using System.Globalization;
using System.Text.Json;
using TorchSharp;
using Tvp.IO;
using static TorchSharp.torch;
using Tvp.Models;
using Tvp.Experiments;

namespace Tvp.Demo.Zoo;

/// <summary>
/// Zoo model files: <c>zoo-&lt;kind&gt;.safetensors</c> holding the head's (or CNN's) state dict and metadata
/// (<c>format</c> = tvp-zoo, kind, encoder resolution, canvas and image size, class names, held-out clean top-1).
/// The shared encoder is not stored: it is the NuGet ResNet-18, shared through <see cref="SharedEncoders"/>.
/// </summary>
internal static class ZooStore
{
    public const string Format = "tvp-zoo";

    /// <summary>The file of zoo model <paramref name="kind"/> (linear, mlp, attention, prototype, cnn) in <paramref name="folder"/>.</summary>
    public static string PathOf(string folder, string kind) => Path.Combine(folder, $"zoo-{kind}.safetensors");

    /// <summary>Writes a trained module atomically.</summary>
    public static void Save(string path, nn.Module module, string kind, ZooConfig config, IReadOnlyList<string> classes, double holdoutTop1)
    {
        var tensors = module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value);
        SafeTensorFile.Write(path, tensors, new Dictionary<string, string>
        {
            ["format"] = Format,
            ["kind"] = kind,
            ["resolution"] = config.Resolution.ToString(CultureInfo.InvariantCulture),
            ["canvas_size"] = config.CanvasSize.ToString(CultureInfo.InvariantCulture),
            ["image_size"] = config.ImageSize.ToString(CultureInfo.InvariantCulture),
            ["classes"] = JsonSerializer.Serialize(classes),
            ["holdout_top1"] = holdoutTop1.ToString("R", CultureInfo.InvariantCulture),
            ["zoo_key"] = config.Key,
        });
    }

    /// <summary>True when <paramref name="path"/> is a zoo model file.</summary>
    public static bool IsZooFile(string path)
    {
        if (!File.Exists(path) || !path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)) return false;
        try { return new SafeTensorFile(path).Metadata.TryGetValue("format", out var f) && f == Format; }
        catch (InvalidDataException) { return false; }
    }

    /// <summary>Metadata of a zoo file.</summary>
    public static IReadOnlyDictionary<string, string> Metadata(string path) => new SafeTensorFile(path).Metadata;

    /// <summary>Loads a zoo model file onto <paramref name="device"/> (a shared-encoder head takes its encoder from <paramref name="encoders"/>), named <c>zoo-&lt;kind&gt;</c> unless <paramref name="name"/> is given.</summary>
    /// <exception cref="InvalidDataException">Not a zoo file, unknown kind, or tensors that do not fit (names the file).</exception>
    public static ZooPromptable Load(string path, Device device, SharedEncoders encoders, string? name = null)
    {
        var md = Metadata(path);
        if (!md.TryGetValue("format", out var f) || f != Format) throw new InvalidDataException($"{path}: not a tvp zoo model (metadata format is not '{Format}')");
        string Get(string k) => md.TryGetValue(k, out var v) ? v : throw new InvalidDataException($"{path}: metadata '{k}' is missing");
        var kind = Get("kind");
        var classes = JsonSerializer.Deserialize<string[]>(Get("classes")) ?? throw new InvalidDataException($"{path}: empty class list");
        name ??= $"zoo-{kind}";
        var checkpoint = Checkpoint.Open(path);
        // Trained by tvp in float32 and run in float32 whatever --dtype says.
        using var float32 = ModelLoadOptions.Use(ModelLoadOptions.Current with { DType = WeightDType.Float32 });
        if (kind == "cnn")
        {
            var net = new SmallCnn(classes.Length);
            try { StateDictLoader.Load(net, checkpoint); }
            catch { net.Dispose(); throw; }
            return new ZooCnnPromptable(name, net, classes, device);
        }
        ZooHead head;
        try { head = ZooHead.Create(kind, 512, classes.Length); }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
        try { StateDictLoader.Load(head, checkpoint); }
        catch { head.Dispose(); throw; }
        int resolution = int.Parse(Get("resolution"), CultureInfo.InvariantCulture);
        return new ZooHeadPromptable(name, head, resolution, classes, device, encoders);
    }
}
