using Tvp.Models;
using static TorchSharp.torch;

namespace Tvp.Training;

/// <summary>
/// TSE (Task Semantics Enrichment): S = logit_scale · cos(g_img(x+δ), g_txt("this is a photo of a {label}")),
/// averaged over matched pairs of the batch; logit_scale clamped to at most 100 (ln 100 before exp).
/// Text features are computed once per text and cached (the released code recomputed them every step).
/// </summary>
public sealed class TaskSemantics : IDisposable
{
    private readonly IImageTextGuide _guide;
    private readonly Dictionary<string, Tensor> _textCache = new(StringComparer.Ordinal);

    /// <summary>The text template; {0} is the label.</summary>
    public string Template { get; }

    /// <summary>Creates TSE over a guide.</summary>
    public TaskSemantics(IImageTextGuide guide, string template = "this is a photo of a {0}")
    {
        _guide = guide;
        Template = template;
    }

    /// <summary>Number of cached text features (for tests and benchmarks).</summary>
    public int CachedTexts => _textCache.Count;

    /// <summary>The similarity S (a scalar to be maximised) for prompted canvases and each image's label text.</summary>
    public Tensor Similarity(Tensor promptedPixels, IReadOnlyList<string> labels)
    {
        if (labels.Count != promptedPixels.shape[0])
            throw new ArgumentException($"TSE: {promptedPixels.shape[0]} images but {labels.Count} labels");
        using var scope = NewDisposeScope();
        var texts = labels.Select(l => string.Format(System.Globalization.CultureInfo.InvariantCulture, Template, l)).ToArray();
        var txt = stack(texts.Select(TextFeature).ToArray()).to(_guide.Device);   // [B, D]
        var img = _guide.EncodeImage(promptedPixels.to(_guide.Device));           // [B, D]
        var cos = nn.functional.cosine_similarity(img, txt, 1);                    // [B]
        double scale = Math.Min(_guide.LogitScale, 100.0);
        return (cos.mean() * scale).MoveToOuterDisposeScope();
    }

    private Tensor TextFeature(string text)
    {
        if (!_textCache.TryGetValue(text, out var t))
        {
            using (no_grad())
            {
                var batch = _guide.EncodeText(new[] { text });
                t = batch[0].detach().clone();
                batch.Dispose();
            }
            t.DetachFromDisposeScope();
            _textCache[text] = t;
        }
        return t;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in _textCache.Values) t.Dispose();
        _textCache.Clear();
    }
}
