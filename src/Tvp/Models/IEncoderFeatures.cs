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
}
