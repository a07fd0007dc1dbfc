using Tvp.Models.Multimodal;
using static TorchSharp.torch;

namespace Tvp.Models.Llama;

/// <summary>
/// A text-only LLaMA checkpoint (HF layout) as a candidate scorer: the log-likelihood of each candidate continuation
/// of a prefix, given as token ids (the prefix runs once; its key/value cache serves every candidate).
/// </summary>
public sealed class LlamaTextScorer : IDisposable
{
    private readonly LlamaForCausalLM _lm;

    private LlamaTextScorer(LlamaForCausalLM lm) => _lm = lm;

    /// <summary>True when <paramref name="folder"/> holds a text-only LLaMA checkpoint (config.json with model_type llama).</summary>
    public static bool IsCheckpoint(string folder) => LlamaForCausalLM.IsLlamaFolder(folder);

    /// <summary>Loads the checkpoint in <paramref name="folder"/> on the CPU.</summary>
    public static LlamaTextScorer Load(string folder) => new(LlamaForCausalLM.Load(folder));

    /// <summary>Token ids must lie in 0..VocabularySize−1.</summary>
    public int VocabularySize => _lm.Config.VocabSize;

    /// <summary>Log-likelihoods of <paramref name="candidates"/> after <paramref name="prefix"/> (one row).</summary>
    /// <exception cref="ArgumentException">A token id outside the vocabulary, or no candidates.</exception>
    public CandidateLogLikelihoods Score(IReadOnlyList<int> prefix, IReadOnlyList<int[]> candidates)
    {
        if (prefix.Count == 0) throw new ArgumentException("the prefix has no token ids");
        if (candidates.Count == 0) throw new ArgumentException("no candidates given");
        foreach (var id in prefix.Concat(candidates.SelectMany(c => c)))
            if (id < 0 || id >= VocabularySize) throw new ArgumentException($"token id {id} is outside the model's vocabulary (0..{VocabularySize - 1})");
        using var scope = NewDisposeScope();
        var embeds = _lm.Decoder.Embed(tensor(prefix.Select(v => (long)v).ToArray()).unsqueeze(0));   // [1, T, D]
        return ContinuationScorer.Score(_lm, embeds, null, new[] { candidates });
    }

    /// <summary>Frees the model.</summary>
    public void Dispose() => _lm.Dispose();
}
