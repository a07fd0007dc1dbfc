using static TorchSharp.torch;

namespace Tvp.Models.Multimodal;

/// <summary>An encoder–decoder language model (T5): the image features join the encoder input.</summary>
internal interface IEncoderDecoderLanguageModel : ILanguageModel
{
    /// <summary>The id every decoder input starts with.</summary>
    int DecoderStartTokenId { get; }

    /// <summary>Encoder output [N,S,D] of input embeddings [N,S,D] with key mask [N,S] bool (null = all real).</summary>
    Tensor Encode(Tensor embeds, Tensor? mask);

    /// <summary>
    /// Decoder hidden states [N,T,D] (before the head) for decoder input ids [N,T] (causal), attending to the
    /// encoder output [N,S,D] with its mask [N,S] bool (null = all real).
    /// </summary>
    Tensor Decode(Tensor decoderIds, Tensor encoderHidden, Tensor? encoderMask);
}
