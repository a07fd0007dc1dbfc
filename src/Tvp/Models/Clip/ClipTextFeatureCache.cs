using Tvp.IO.Tokenizers;
using static TorchSharp.torch;

namespace Tvp.Models.Clip;

/// <summary>
/// L2-normalised CLIP text embeddings, computed once per text and kept on the model's device (text
/// features are constant while a prompt is trained; the released TVP code recomputed them every step).
/// </summary>
internal sealed class ClipTextFeatureCache : IDisposable
{
    private readonly ClipModel _model;
    private readonly ClipTokenizer _tokenizer;
    private readonly Dictionary<string, Tensor> _byText = new(StringComparer.Ordinal);

    public ClipTextFeatureCache(ClipModel model, ClipTokenizer tokenizer)
    {
        _model = model;
        _tokenizer = tokenizer;
    }

    /// <summary>Number of cached texts.</summary>
    public int Count => _byText.Count;

    /// <summary>Normalised text embeddings [N, D] (no gradient), encoding only texts not seen before.</summary>
    public Tensor Get(IReadOnlyList<string> texts)
    {
        var missing = texts.Where(t => !_byText.ContainsKey(t)).Distinct(StringComparer.Ordinal).ToArray();
        if (missing.Length > 0)
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var device = _model.parameters().First().device;
            var ids = tensor(_tokenizer.EncodeBatch(missing), device: device); // [N, L]
            var embeds = ClipModel.Normalize(_model.TextFeatures(ids)); // [N, D]
            for (int i = 0; i < missing.Length; i++)
                _byText[missing[i]] = embeds[i].clone().DetachFromDisposeScope();
        }
        using var outer = NewDisposeScope();
        return stack(texts.Select(t => _byText[t]).ToArray()).MoveToOuterDisposeScope(); // [N, D]
    }

    /// <summary>
    /// Zero-shot class embeddings [C, D]: each label is put into every template ("{}" = the label), the
    /// normalised embeddings are averaged over templates and normalised again (CLIP's prompt ensembling).
    /// </summary>
    public Tensor Classes(IReadOnlyList<string> labels, IReadOnlyList<string> templates)
    {
        using var scope = NewDisposeScope();
        var texts = labels.SelectMany(l => templates.Select(t => t.Replace("{}", l))).ToArray();
        var all = Get(texts).view(labels.Count, templates.Count, -1); // [C, templates, D]
        return ClipModel.Normalize(all.mean(new long[] { 1 })).MoveToOuterDisposeScope(); // [C, D]
    }

    public void Dispose()
    {
        foreach (var t in _byText.Values) t.Dispose();
        _byText.Clear();
    }
}
