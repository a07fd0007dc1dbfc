using Tvp.IO.Tokenizers;
using static TorchSharp.torch;

namespace Tvp.Models.Clip;

/// <summary>
/// CLIP as the Task Semantics Enrichment guide: normalised image embeddings of prompted canvases
/// (differentiable), normalised text embeddings cached per text, and the logit scale clamped to 100
/// (= exp(ln 100)), as in the TVP paper.
/// </summary>
internal sealed class ClipGuide : IImageTextGuide
{
    /// <summary>The clamp on the exponentiated logit scale: exp(ln 100).</summary>
    public const double MaxLogitScale = 100.0;

    private readonly ClipModel _model;
    private readonly ClipTextFeatureCache _texts;

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public Device Device { get; }

    /// <summary>Input size and normalisation of the guide's image tower.</summary>
    public ModelInfo Info { get; }

    /// <summary>min(exp(logit_scale), 100).</summary>
    public double LogitScale { get; }

    /// <summary>Number of texts whose embeddings are cached.</summary>
    public int CachedTexts => _texts.Count;

    /// <summary>Wraps a loaded model (its parameters are frozen).</summary>
    public ClipGuide(ClipModel model, ClipTokenizer tokenizer, ModelInfo info, Device device)
    {
        _model = model;
        foreach (var p in _model.parameters()) p.requires_grad_(false);
        _texts = new ClipTextFeatureCache(model, tokenizer);
        Info = info;
        Name = info.Name;
        Device = device;
        LogitScale = Math.Min(model.LogitScale, MaxLogitScale);
    }

    /// <summary>Loads a CLIP checkpoint folder as a guide.</summary>
    public static ClipGuide Load(string folder, Device device)
    {
        var tokenizer = ClipTokenizer.FromFolder(folder);
        var model = ClipLoader.Load(folder, device);
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
        return new ClipGuide(model, tokenizer, ClipImageProcessor.Info(name, folder, model.Config.Vision), device);
    }

    /// <summary>Normalised image embeddings [B, D] of canvases in raw pixel space (resized and normalised here).</summary>
    public Tensor EncodeImage(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        var x = ModelInput.Prepare(pixels.to(Device), Info);
        return ClipModel.Normalize(_model.ImageFeatures(x)).MoveToOuterDisposeScope();
    }

    /// <summary>Normalised text embeddings [N, D], cached per text (no gradient).</summary>
    public Tensor EncodeText(IReadOnlyList<string> texts) => _texts.Get(texts);

    /// <summary>
    /// The TSE term S = LogitScale · mean over the batch of cos(g_img(x_i), g_txt(text_i)), matched pairs
    /// only (text i belongs to image i). Differentiable w.r.t. the pixels.
    /// </summary>
    public Tensor MatchedSimilarity(Tensor pixels, IReadOnlyList<string> texts)
    {
        if (texts.Count != pixels.shape[0])
            throw new ArgumentException($"{Name}: {pixels.shape[0]} images but {texts.Count} texts");
        using var scope = NewDisposeScope();
        var images = EncodeImage(pixels); // [B, D]
        var text = EncodeText(texts); // [B, D]
        return ((images * text).sum(-1).mean() * LogitScale).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        _texts.Dispose();
        _model.Dispose();
    }
}
