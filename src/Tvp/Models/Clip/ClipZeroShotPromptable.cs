using Tvp.IO.Tokenizers;
using Tvp.Data;
using static TorchSharp.torch;

namespace Tvp.Models.Clip;

/// <summary>
/// CLIP as a promptable model: zero-shot classification by text prompts. A row's candidates are put into
/// the templates (default: the row's question + " {}", i.e. "This is a photo of a {}" for classification);
/// scores are CLIP logits, the task loss is cross-entropy over them, and the image features are the
/// normalised image embeddings. Text embeddings are cached per text.
/// </summary>
internal sealed class ClipZeroShotPromptable : IPromptableModel
{
    private readonly ClipModel _model;
    private readonly ClipTextFeatureCache _texts;
    private readonly IReadOnlyList<string>? _templates;

    /// <inheritdoc />
    public ModelInfo Info { get; }

    /// <inheritdoc />
    public Device Device { get; }

    /// <summary>The underlying CLIP model (frozen).</summary>
    public ClipModel Model => _model;

    /// <summary>Wraps a loaded model; <paramref name="templates"/> replace the question-based template when given.</summary>
    public ClipZeroShotPromptable(ClipModel model, ClipTokenizer tokenizer, ModelInfo info, Device device, IReadOnlyList<string>? templates = null)
    {
        _model = model;
        foreach (var p in _model.parameters()) p.requires_grad_(false);
        _texts = new ClipTextFeatureCache(model, tokenizer);
        _templates = templates is { Count: > 0 } ? templates : null;
        if (_templates?.FirstOrDefault(t => !t.Contains("{}")) is { } bad)
            throw new ArgumentException($"{info.Name}: template '{bad}' has no '{{}}' for the label");
        Info = info;
        Device = device;
    }

    /// <summary>Loads a CLIP checkpoint folder (config.json, safetensors, tokenizer files).</summary>
    public static ClipZeroShotPromptable Load(string folder, Device device, IReadOnlyList<string>? templates = null)
    {
        var tokenizer = ClipTokenizer.FromFolder(folder);
        var model = ClipLoader.Load(folder, device);
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
        return new ClipZeroShotPromptable(model, tokenizer, ClipImageProcessor.Info(name, folder, model.Config.Vision), device, templates);
    }

    /// <summary>The templates used for a row with this question.</summary>
    public IReadOnlyList<string> TemplatesFor(string question) =>
        _templates ?? new[] { string.IsNullOrWhiteSpace(question) ? "{}" : question.TrimEnd() + " {}" };

    /// <summary>Normalised image embeddings [B, D] of prompted canvases (differentiable w.r.t. the pixels).</summary>
    public Tensor ImageFeatures(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        var x = ModelInput.Prepare(pixels.to(Device), Info);
        return ClipModel.Normalize(_model.ImageFeatures(x)).MoveToOuterDisposeScope();
    }

    /// <summary>Normalised class embeddings [C, D] for labels under the templates (cached per text).</summary>
    public Tensor ClassEmbeddings(IReadOnlyList<string> labels, IReadOnlyList<string> templates) => _texts.Classes(labels, templates);

    /// <summary>CLIP logits [B, C] over each row's candidates; shorter rows are padded with -inf.</summary>
    public Tensor Score(Tensor pixels, TaskBatch batch)
    {
        if (batch.Count != pixels.shape[0])
            throw new ArgumentException($"{Info.Name}: {pixels.shape[0]} images but {batch.Count} task rows");
        using var scope = NewDisposeScope();
        var images = ImageFeatures(pixels); // [B, D]
        var scale = (float)_model.LogitScale;
        bool oneTemplateSet = batch.Questions.Distinct(StringComparer.Ordinal).Count() == 1 || _templates is not null;
        if (batch.SharedCandidates && oneTemplateSet)
        {
            var classes = ClassEmbeddings(batch.Candidates[0], TemplatesFor(batch.Questions[0])); // [C, D]
            return (images.matmul(classes.t()) * scale).MoveToOuterDisposeScope(); // [B, C]
        }
        int width = batch.Candidates.Max(c => c.Count);
        var rows = new Tensor[batch.Count];
        for (int i = 0; i < batch.Count; i++)
        {
            var classes = ClassEmbeddings(batch.Candidates[i], TemplatesFor(batch.Questions[i])); // [Ci, D]
            var row = images[i].matmul(classes.t()) * scale; // [Ci]
            int pad = width - batch.Candidates[i].Count;
            rows[i] = pad == 0 ? row : cat(new[] { row, full(pad, float.NegativeInfinity, dtype: row.dtype, device: row.device) });
        }
        return stack(rows).MoveToOuterDisposeScope(); // [B, C]
    }

    /// <summary>Cross-entropy of the CLIP logits against the targets (rows with target -1 are ignored).</summary>
    public Tensor TaskLoss(Tensor pixels, TaskBatch batch)
    {
        using var scope = NewDisposeScope();
        var logits = Score(pixels, batch);
        var targets = tensor(batch.Targets.Select(t => (long)t).ToArray(), device: logits.device);
        return nn.functional.cross_entropy(logits, targets, ignore_index: -1).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        _texts.Dispose();
        _model.Dispose();
    }
}
