using Tvp.Data;
using static TorchSharp.torch;

namespace Tvp.Models;

/// <summary>
/// Implemented by models built as a (possibly shared) encoder plus their own connector/head: exposes the
/// encoder's output so FCA can be measured there instead of on the connector (<c>--fca-features encoder</c>).
/// </summary>
public interface IEncoderFeatures
{
    /// <summary>The encoder's output for prompted canvases ([B,D] or [B,T,D]).</summary>
    Tensor EncoderFeatures(Tensor pixels);

    /// <summary>
    /// Task loss and encoder features of the same prompted pixels. The default runs two passes; models that can
    /// produce both from one forward pass override it (FCA on the encoder calls this every step).
    /// </summary>
    (Tensor Loss, Tensor Features) TaskLossWithEncoderFeatures(Tensor pixels, TaskBatch batch) =>
        this is IPromptableModel m ? (m.TaskLoss(pixels, batch), EncoderFeatures(pixels))
            : throw new NotSupportedException($"{GetType().Name}: encoder features without a task loss");
}
