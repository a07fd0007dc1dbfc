using static TorchSharp.torch;

namespace Tvp.Models.Multimodal;

/// <summary>
/// What the multimodal core needs of a language model: token embeddings (so image tokens can be spliced
/// in), logits of hidden states, and the vocabulary. Decoder-only and encoder–decoder models extend it.
/// </summary>
internal interface ILanguageModel
{
    /// <summary>Vocabulary size (logits width).</summary>
    int VocabSize { get; }

    /// <summary>End-of-sequence id from the config, if any.</summary>
    int? EosTokenId { get; }

    /// <summary>Input token embeddings [N,T,D] of ids [N,T] (what image features are joined with).</summary>
    Tensor Embed(Tensor ids);

    /// <summary>Vocabulary logits [...,V] of final hidden states [...,D].</summary>
    Tensor Logits(Tensor hidden);
}
