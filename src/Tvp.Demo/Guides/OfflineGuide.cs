using System.Globalization;
using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using Tvp.IO;
using Tvp.Demo.Zoo;
using static TorchSharp.torch;
using Tvp.Models;
using Tvp.Experiments;

namespace Tvp.Demo.Guides;

/// <summary>
/// An offline image–text guide for TSE when no CLIP is available (LiT-style): two frozen pretrained towers —
/// the ImageNet ResNet-18 (pooled features, through a <see cref="SharedEncoder"/> shared with the zoo models, differentiable)
/// and MiniLM sentence embeddings — joined by two linear projections into a 128-d space, trained contrastively
/// with a learned temperature (<see cref="OfflineGuideTraining"/>). Not independent of the zoo's shared encoder:
/// its image tower IS that encoder (the paper's CLIP guide shares nothing with the MLLMs).
/// File: <c>offline-guide.safetensors</c> (projections, feature standardisation, log logit scale, and the raw
/// MiniLM embeddings of the training texts so that known texts need no MiniLM at all).
/// </summary>
internal sealed class OfflineGuide : IImageTextGuide
{
    public const string Format = "tvp-offline-guide";
    public const string FileName = "offline-guide.safetensors";

    private readonly SharedEncoders _encoders;
    private readonly SharedEncoder _encoder;
    private readonly Projections _p;
    private readonly Dictionary<string, Tensor> _knownTexts = new(StringComparer.Ordinal);
    private MiniLMSentences? _miniLM;

    /// <summary>The two projections and their fixed statistics, as one module (the file's tensors).</summary>
    internal sealed class Projections : nn.Module
    {
        public readonly Tensor feature_mean;
        public readonly Tensor feature_std;
        public readonly Linear image_projection;
        public readonly Linear text_projection;
        public readonly Parameter log_logit_scale;

        public Projections(int imageDim = 512, int textDim = 384, int width = 128) : base("offline-guide")
        {
            feature_mean = zeros(imageDim);
            feature_std = ones(imageDim);
            image_projection = nn.Linear(imageDim, width, hasBias: false);
            text_projection = nn.Linear(textDim, width, hasBias: false);
            log_logit_scale = nn.Parameter(tensor(MathF.Log(10f)));
            register_buffer("feature_mean", feature_mean);
            register_buffer("feature_std", feature_std);
            RegisterComponents();
        }

        /// <summary>Unit image embeddings [B,W] of pooled features [B,512].</summary>
        public Tensor Image(Tensor pooled)
        {
            using var scope = NewDisposeScope();
            var x = (pooled - feature_mean) / feature_std;
            return nn.functional.normalize(image_projection.forward(x), p: 2, dim: 1).MoveToOuterDisposeScope(); // [B, W]
        }

        /// <summary>Unit text embeddings [N,W] of MiniLM embeddings [N,384].</summary>
        public Tensor Text(Tensor sentences)
        {
            using var scope = NewDisposeScope();
            return nn.functional.normalize(text_projection.forward(sentences), p: 2, dim: 1).MoveToOuterDisposeScope(); // [N, W]
        }
    }

    /// <summary>Image resolution of the encoder.</summary>
    public int Resolution { get; }

    /// <summary>Metadata of the file (zero-shot accuracy, templates...).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public Device Device => _encoder.Device;

    /// <inheritdoc />
    public double LogitScale
    {
        get { using var _ = no_grad(); return Math.Exp(_p.log_logit_scale.item<float>()); }
    }

    internal OfflineGuide(Projections projections, int resolution, IReadOnlyDictionary<string, Tensor> knownTexts,
        IReadOnlyDictionary<string, string> metadata, Device device, SharedEncoders encoders, string name = "offline")
    {
        _encoders = encoders;
        Name = name;
        Resolution = resolution;
        Metadata = metadata;
        _p = projections;
        _p.to(device);
        _p.eval();
        foreach (var q in _p.parameters()) q.requires_grad = false;
        foreach (var (t, e) in knownTexts) _knownTexts[t] = e.to(device).detach().clone().DetachFromDisposeScope();
        _encoder = encoders.Acquire(resolution, device);
    }

    /// <summary>Loads a guide file (or a folder holding <see cref="FileName"/>); its image tower is taken from <paramref name="encoders"/>.</summary>
    /// <exception cref="InvalidDataException">Not a guide file, or tensors that do not fit (names the file).</exception>
    public static OfflineGuide Load(string path, Device device, SharedEncoders encoders)
    {
        if (Directory.Exists(path)) path = Path.Combine(path, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"offline guide not found: {path}", path);
        var f = new SafeTensorFile(path);
        if (!f.Metadata.TryGetValue("format", out var fmt) || fmt != Format)
            throw new InvalidDataException($"{path}: not an offline guide (metadata format is not '{Format}')");
        var p = new Projections();
        // Trained by tvp in float32 and run in float32 whatever --dtype says; its text cache is read below.
        using (ModelLoadOptions.Use(ModelLoadOptions.Current with { DType = WeightDType.Float32 }))
            StateDictLoader.Load(p, Checkpoint.Open(path), optional: _ => false, unusedAllowed: k => k == "text_cache");
        var texts = JsonSerializer.Deserialize<string[]>(f.Metadata.GetValueOrDefault("texts", "[]")) ?? Array.Empty<string>();
        var known = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        if (texts.Length > 0)
        {
            using var all = f.ReadFloat("text_cache");                                   // [M, 384]
            if (all.shape[0] != texts.Length) throw new InvalidDataException($"{path}: {texts.Length} texts but text_cache has {all.shape[0]} rows");
            for (int i = 0; i < texts.Length; i++) known[texts[i]] = all[i].clone();
        }
        int resolution = int.Parse(f.Metadata["resolution"], CultureInfo.InvariantCulture);
        try { return new OfflineGuide(p, resolution, known, f.Metadata, device, encoders); }
        finally { foreach (var t in known.Values) t.Dispose(); }
    }

    /// <summary>Writes the guide file atomically.</summary>
    internal static void Save(string path, Projections p, IReadOnlyList<string> texts, Tensor textCache, IReadOnlyDictionary<string, string> metadata)
    {
        var tensors = p.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value);
        tensors["text_cache"] = textCache;
        var md = new Dictionary<string, string>(metadata) { ["format"] = Format, ["texts"] = JsonSerializer.Serialize(texts) };
        SafeTensorFile.Write(path, tensors, md);
    }

    /// <inheritdoc />
    public Tensor EncodeImage(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        return _p.Image(_encoder.Pooled(pixels)).MoveToOuterDisposeScope();             // [B, W]
    }

    /// <inheritdoc />
    public Tensor EncodeText(IReadOnlyList<string> texts)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var rows = new Tensor[texts.Count];
        var unknown = texts.Where(t => !_knownTexts.ContainsKey(t)).Distinct().ToArray();
        if (unknown.Length > 0)
        {
            _miniLM ??= new MiniLMSentences(Device);
            var e = _miniLM.Encode(unknown);                                              // [U, 384]
            for (int i = 0; i < unknown.Length; i++) _knownTexts[unknown[i]] = e[i].clone().DetachFromDisposeScope();
        }
        for (int i = 0; i < texts.Count; i++) rows[i] = _knownTexts[texts[i]];
        return _p.Text(stack(rows)).MoveToOuterDisposeScope();                            // [N, W]
    }

    /// <summary>Class embeddings [K,W]: the mean of the unit text embeddings of each class's templates, renormalised (prompt ensembling).</summary>
    public Tensor ClassEmbeddings(IReadOnlyList<string> classes, IReadOnlyList<string> templates)
    {
        using var scope = NewDisposeScope();
        var perClass = classes.Select(c =>
            EncodeText(templates.Select(t => string.Format(CultureInfo.InvariantCulture, t, c)).ToArray()).mean(new long[] { 0 })).ToArray();
        return nn.functional.normalize(stack(perClass), p: 2, dim: 1).MoveToOuterDisposeScope(); // [K, W]
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _p.Dispose();
        foreach (var t in _knownTexts.Values) t.Dispose();
        _knownTexts.Clear();
        _miniLM?.Dispose();
        _encoders.Release(_encoder);
    }
}
