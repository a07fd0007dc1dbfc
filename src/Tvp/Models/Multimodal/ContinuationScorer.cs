using static TorchSharp.torch;

namespace Tvp.Models.Multimodal;

/// <summary>Per-candidate log-likelihoods: sums, token counts and means ([B, Cmax]; -inf mean where a row has no such candidate).</summary>
/// <param name="Sum">Sum of the candidate tokens' log-probabilities [B, Cmax] (float64).</param>
/// <param name="Mean">Sum / length [B, Cmax] (float64), -inf for missing candidates.</param>
public sealed record CandidateLogLikelihoods(double[,] Sum, double[,] Mean);

/// <summary>
/// Scores candidate continuations of a prompt: the sum and the mean (length-normalised) log-probability of
/// each candidate's tokens given the prompt, written once for every language model of the multimodal core.
/// Decoder-only: the prompt is run ONCE and every candidate of that prompt reads its key/value cache
/// (candidates of a row are batched, the cache is shared, not copied). Encoder–decoder: one encoder pass,
/// then one batched decoder pass over all candidates (decoder input = start id + candidate without its last
/// token). Candidate ids are scored exactly as given (nothing is appended).
/// </summary>
internal static class ContinuationScorer
{
    /// <summary>
    /// prefixEmbeds [B,Tp,D] with prefixMask [B,Tp] bool (left-padded, so every row's last position is
    /// real); candidates[b] = the token ids of row b's candidates. Log-softmax in float64.
    /// </summary>
    public static CandidateLogLikelihoods Score(ICausalLanguageModel lm, Tensor prefixEmbeds, Tensor? prefixMask,
        IReadOnlyList<IReadOnlyList<int[]>> candidates, long maxLogitElements = 1L << 26)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        int b = (int)prefixEmbeds.shape[0];
        var (hidden, cache) = lm.Forward(prefixEmbeds, prefixMask, useCache: true);
        using var _ = cache;
        var lastLogp = nn.functional.log_softmax(lm.Logits(hidden.select(1, -1)).to(ScalarType.Float64), -1); // [B, V]
        int cMax = Math.Max(1, candidates.Max(r => r.Count));
        int lMax = Math.Max(1, candidates.SelectMany(r => r).Select(a => a.Length).DefaultIfEmpty(1).Max());
        // Candidates go in column chunks so the [B*chunk, L, V] logits stay bounded; every chunk reads the one cache.
        int chunk = (int)Math.Clamp(maxLogitElements / Math.Max(1L, (long)b * lMax * lm.VocabSize), 1, cMax);
        var sum = new double[b, cMax];
        var mean = new double[b, cMax];
        for (int c0 = 0; c0 < cMax; c0 += chunk)
        {
            using var inner = NewDisposeScope();
            int width = Math.Min(chunk, cMax - c0);
            var part = candidates.Select(r => (IReadOnlyList<int[]>)r.Skip(c0).Take(width).ToArray()).ToArray();
            var (ids, mask, c) = PackCandidates(part, prefixEmbeds.device, width);                          // [B*C, L]
            var (hc, _) = lm.Forward(lm.Embed(ids), mask, past: cache);                     // [B*C, L, D]
            var tokenLogp = TokenLogProbs(lm, lastLogp.repeat_interleave(c, 0), hc, ids);                   // [B*C, L]
            var r = Summarise(tokenLogp, mask, part, b, (int)c);
            for (int i = 0; i < b; i++)
                for (int j = 0; j < width; j++) { sum[i, c0 + j] = r.Sum[i, j]; mean[i, c0 + j] = r.Mean[i, j]; }
        }
        return new CandidateLogLikelihoods(sum, mean);
    }

    /// <summary>
    /// The same numbers without a cache: every (prompt, candidate) pair runs as one full sequence
    /// (left-padded prompt then right-padded candidate). For tests and the benchmark.
    /// </summary>
    public static CandidateLogLikelihoods ScoreNaive(ICausalLanguageModel lm, Tensor prefixEmbeds, Tensor? prefixMask,
        IReadOnlyList<IReadOnlyList<int[]>> candidates)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        long b = prefixEmbeds.shape[0], tp = prefixEmbeds.shape[1];
        prefixMask ??= ones(b, tp, dtype: ScalarType.Bool, device: prefixEmbeds.device);
        var (ids, mask, c) = PackCandidates(candidates, prefixEmbeds.device);                   // [B*C, L]
        long l = ids.shape[1];
        var embeds = cat(new[] { prefixEmbeds.repeat_interleave(c, 0), lm.Embed(ids) }, 1); // [B*C, Tp+L, D]
        var fullMask = cat(new[] { prefixMask.repeat_interleave(c, 0), mask }, 1);                 // [B*C, Tp+L]
        var (h, _) = lm.Forward(embeds, fullMask);
        var lastLogp = nn.functional.log_softmax(lm.Logits(h.select(1, tp - 1)).to(ScalarType.Float64), -1); // [B*C, V]
        var tokenLogp = TokenLogProbs(lm, lastLogp, h.narrow(1, tp, l), ids);
        return Summarise(tokenLogp, mask, candidates, (int)b, (int)c);
    }

    /// <summary>
    /// Encoder–decoder scoring: the encoder runs once on <paramref name="encoderEmbeds"/> [B,S,D] (mask [B,S]
    /// bool or null); the decoder runs once over all B×C candidates, each decoded from the start id.
    /// </summary>
    public static CandidateLogLikelihoods Score(IEncoderDecoderLanguageModel lm, Tensor encoderEmbeds, Tensor? encoderMask,
        IReadOnlyList<IReadOnlyList<int[]>> candidates)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        int b = (int)encoderEmbeds.shape[0];
        var encoded = lm.Encode(encoderEmbeds, encoderMask);                                      // [B, S, D]
        var (ids, mask, c) = PackCandidates(candidates, encoderEmbeds.device);                    // [B*C, L]
        var decoderIds = DecoderInputs(ids, lm.DecoderStartTokenId);                              // [B*C, L]
        var hidden = lm.Decode(decoderIds, encoded.repeat_interleave(c, 0), encoderMask?.repeat_interleave(c, 0)); // [B*C, L, D]
        var logp = nn.functional.log_softmax(lm.Logits(hidden).to(ScalarType.Float64), -1);       // [B*C, L, V]
        var tokenLogp = logp.gather(2, ids.unsqueeze(-1)).squeeze(-1);                           // [B*C, L]
        return Summarise(tokenLogp, mask, candidates, b, (int)c);
    }

    /// <summary>The same numbers for an encoder–decoder model, one (image, candidate) pair at a time (tests).</summary>
    public static CandidateLogLikelihoods ScoreNaive(IEncoderDecoderLanguageModel lm, Tensor encoderEmbeds, Tensor? encoderMask,
        IReadOnlyList<IReadOnlyList<int[]>> candidates)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        int b = (int)encoderEmbeds.shape[0], cMax = Math.Max(1, candidates.Max(r => r.Count));
        var sum = new double[b, cMax];
        var mean = new double[b, cMax];
        for (int i = 0; i < b; i++)
            for (int j = 0; j < cMax; j++)
            {
                var one = Score(lm, encoderEmbeds.narrow(0, i, 1), encoderMask?.narrow(0, i, 1),
                    new[] { (IReadOnlyList<int[]>)(j < candidates[i].Count ? new[] { candidates[i][j] } : Array.Empty<int[]>()) });
                sum[i, j] = one.Sum[0, 0];
                mean[i, j] = one.Mean[0, 0];
            }
        return new CandidateLogLikelihoods(sum, mean);
    }

    /// <summary>Decoder inputs for target ids [N,L]: the start id, then the targets shifted right by one.</summary>
    internal static Tensor DecoderInputs(Tensor ids, int startId)
    {
        var start = full(ids.shape[0], 1, startId, dtype: ScalarType.Int64, device: ids.device);  // [N, 1]
        return cat(new[] { start, ids.narrow(1, 0, ids.shape[1] - 1) }, 1);                       // [N, L]
    }

    /// <summary>Candidates as a [B*C, L] id tensor (0-padded on the right) and its mask; C = the most candidates of a row.</summary>
    internal static (Tensor Ids, Tensor Mask, long C) PackCandidates(IReadOnlyList<IReadOnlyList<int[]>> candidates, Device device, int? columns = null)
    {
        int c = columns ?? Math.Max(1, candidates.Max(r => r.Count));
        int l = Math.Max(1, candidates.SelectMany(r => r).Select(a => a.Length).DefaultIfEmpty(1).Max());
        var ids = new long[candidates.Count * c * l];
        var mask = new bool[ids.Length];
        for (int r = 0; r < candidates.Count; r++)
            for (int j = 0; j < candidates[r].Count; j++)
                for (int k = 0; k < candidates[r][j].Length; k++)
                {
                    int at = (r * c + j) * l + k;
                    ids[at] = candidates[r][j][k];
                    mask[at] = true;
                }
        return (tensor(ids, new long[] { candidates.Count * c, l }, device: device),
                tensor(mask, new long[] { candidates.Count * c, l }, device: device), c);
    }

    /// <summary>log p of each candidate token: the first from the prompt's last position, the rest from the candidate's own positions.</summary>
    private static Tensor TokenLogProbs(ILanguageModel lm, Tensor firstLogp, Tensor candHidden, Tensor ids)
    {
        long l = ids.shape[1];
        var first = firstLogp.gather(1, ids.narrow(1, 0, 1));                                   // [N, 1]
        if (l == 1) return first;
        var logits = lm.Logits(candHidden.narrow(1, 0, l - 1)).to(ScalarType.Float64);          // [N, L-1, V]
        var rest = nn.functional.log_softmax(logits, -1).gather(2, ids.narrow(1, 1, l - 1).unsqueeze(-1)).squeeze(-1); // [N, L-1]
        return cat(new[] { first, rest }, 1);                                                   // [N, L]
    }

    private static CandidateLogLikelihoods Summarise(Tensor tokenLogp, Tensor mask, IReadOnlyList<IReadOnlyList<int[]>> candidates, int b, int c)
    {
        var sums = tokenLogp.masked_fill(mask.logical_not(), 0.0).sum(1).cpu().data<double>().ToArray(); // [B*C]
        var sum = new double[b, c];
        var mean = new double[b, c];
        for (int r = 0; r < b; r++)
            for (int j = 0; j < c; j++)
            {
                bool present = j < candidates[r].Count && candidates[r][j].Length > 0;
                sum[r, j] = present ? sums[r * c + j] : double.NegativeInfinity;
                mean[r, j] = present ? sums[r * c + j] / candidates[r][j].Length : double.NegativeInfinity;
            }
        return new CandidateLogLikelihoods(sum, mean);
    }
}
