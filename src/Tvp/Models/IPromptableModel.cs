using Tvp.Data;
using static TorchSharp.torch;

namespace Tvp.Models;

/// <summary>
/// The one contract every model family implements so a pixel-space prompt can be trained on it and
/// evaluated with it. <c>pixels</c> is always the prompted canvas: [B,3,H,W], raw pixel space ([0,1]
/// plus the prompt, not clamped), on the model's device; the model resizes and normalises it itself.
/// </summary>
public interface IPromptableModel : IDisposable
{
    /// <summary>Name, family, input size and normalisation.</summary>
    ModelInfo Info { get; }

    /// <summary>The device the model runs on.</summary>
    Device Device { get; }

    /// <summary>What FCA compares: the model's own connector output ([B,T,D] or [B,D]).</summary>
    Tensor ImageFeatures(Tensor pixels);

    /// <summary>Differentiable scalar task loss (cross-entropy over label-mapped logits, or LM loss on the answer).</summary>
    Tensor TaskLoss(Tensor pixels, TaskBatch batch);

    /// <summary>Candidate scores [B,C] (log-likelihood-like; higher is better). Rows with fewer candidates are padded with -inf.</summary>
    Tensor Score(Tensor pixels, TaskBatch batch);

    /// <summary>
    /// Task loss and image features of the same prompted pixels. The default runs two passes; families that can
    /// produce both from one forward pass override it (FCA training calls this every step).
    /// </summary>
    (Tensor Loss, Tensor Features) TaskLossWithFeatures(Tensor pixels, TaskBatch batch) => (TaskLoss(pixels, batch), ImageFeatures(pixels));
}

/// <summary>An independent image–text model for Task Semantics Enrichment (TSE).</summary>
public interface IImageTextGuide : IDisposable
{
    /// <summary>Name of the guide.</summary>
    string Name { get; }

    /// <summary>The device the guide runs on.</summary>
    Device Device { get; }

    /// <summary>Image embeddings [B,D] of prompted canvases (raw pixel space; the guide preprocesses). Differentiable.</summary>
    Tensor EncodeImage(Tensor pixels);

    /// <summary>Text embeddings [N,D] (no gradient needed; callers cache them).</summary>
    Tensor EncodeText(IReadOnlyList<string> texts);

    /// <summary>The guide's logit scale (already exponentiated: exp(logit_scale)).</summary>
    double LogitScale { get; }
}

/// <summary>Implemented by models with a classifier head over their own label set.</summary>
public interface ILabelledClassifier : IPromptableModel
{
    /// <summary>The model's own label names (e.g. 1001 ImageNet labels).</summary>
    IReadOnlyList<string> Labels { get; }

    /// <summary>Raw logits [B, Labels.Count] over the model's own labels.</summary>
    Tensor Logits(Tensor pixels);

    /// <summary>The mapping from task classes to model labels used by <see cref="IPromptableModel.TaskLoss"/> and <see cref="IPromptableModel.Score"/>.</summary>
    LabelMapping? Mapping { get; set; }
}
