using static TorchSharp.torch;

namespace Tvp.Models.Multimodal;

/// <summary>A decoder-only language model with a key/value cache (LLaMA, OPT).</summary>
internal interface ICausalLanguageModel : ILanguageModel
{
    /// <summary>
    /// Runs the decoder on embeddings [N,T,D] (<paramref name="mask"/> [N,T] bool, null = all real), after
    /// an optional cache shared by groups of N / cache-batch rows. Returns the final hidden states [N,T,D]
    /// and, when <paramref name="useCache"/>, the cache extended by these tokens.
    /// </summary>
    (Tensor Hidden, KeyValueCache? Cache) Forward(Tensor embeds, Tensor? mask = null, KeyValueCache? past = null, bool useCache = false);
}
