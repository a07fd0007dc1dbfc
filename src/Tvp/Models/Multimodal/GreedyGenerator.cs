using static TorchSharp.torch;

namespace Tvp.Models.Multimodal;

/// <summary>
/// Greedy decoding, written once for every language model of the multimodal core. Decoder-only: the prompt
/// runs once into a key/value cache, then one token per step. Encoder–decoder: the encoder runs once, the
/// decoder re-reads its (short) output so far each step.
/// </summary>
internal static class GreedyGenerator
{
    /// <summary>
    /// Continues each row of <paramref name="embeds"/> [B,T,D] (left-padded, mask [B,T]) with up to
    /// <paramref name="maxNewTokens"/> argmax tokens, stopping a row at <paramref name="eos"/> (not included).
    /// </summary>
    public static int[][] Generate(ICausalLanguageModel lm, Tensor embeds, Tensor? mask, int maxNewTokens, int? eos)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        int b = (int)embeds.shape[0];
        var outputs = Enumerable.Range(0, b).Select(_ => new List<int>()).ToArray();
        var done = new bool[b];
        var (h, cache) = lm.Forward(embeds, mask, useCache: true);
        try
        {
            for (int step = 0; step < maxNewTokens; step++)
            {
                var next = lm.Logits(h.select(1, -1)).argmax(-1);                          // [B]
                var ids = next.cpu().data<long>().ToArray();
                for (int i = 0; i < b; i++)
                {
                    if (done[i]) continue;
                    if (eos is int e && ids[i] == e) done[i] = true;
                    else outputs[i].Add((int)ids[i]);
                }
                if (done.All(d => d) || step == maxNewTokens - 1) break;
                var stepMask = tensor(done.Select(d => !d).ToArray(), device: embeds.device).unsqueeze(1); // [B, 1]
                var (h2, c2) = lm.Forward(lm.Embed(next.unsqueeze(1)), stepMask, past: cache, useCache: true);
                cache!.Dispose();
                (h, cache) = (h2, c2);
            }
        }
        finally { cache?.Dispose(); }
        return outputs.Select(o => o.ToArray()).ToArray();
    }

    /// <summary>
    /// Greedy answers of an encoder–decoder model for encoder inputs <paramref name="embeds"/> [B,S,D]
    /// (mask [B,S] or null): up to <paramref name="maxNewTokens"/> tokens per row, stopping at <paramref name="eos"/>.
    /// </summary>
    public static int[][] Generate(IEncoderDecoderLanguageModel lm, Tensor embeds, Tensor? mask, int maxNewTokens, int? eos)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        int b = (int)embeds.shape[0];
        var outputs = Enumerable.Range(0, b).Select(_ => new List<int>()).ToArray();
        var done = new bool[b];
        var encoded = lm.Encode(embeds, mask);                                              // [B, S, D]
        var ids = full(b, 1, lm.DecoderStartTokenId, dtype: ScalarType.Int64, device: embeds.device); // [B, 1]
        for (int step = 0; step < maxNewTokens && !done.All(d => d); step++)
        {
            using var inner = NewDisposeScope();
            var h = lm.Decode(ids, encoded, mask);                                          // [B, t, D]
            var next = lm.Logits(h.select(1, -1)).argmax(-1);                               // [B]
            var values = next.cpu().data<long>().ToArray();
            for (int i = 0; i < b; i++)
            {
                if (done[i]) continue;
                if (eos is int e && values[i] == e) done[i] = true;
                else outputs[i].Add((int)values[i]);
            }
            ids = cat(new[] { ids, next.unsqueeze(1) }, 1).MoveToOuterDisposeScope();         // [B, t+1]
        }
        return outputs.Select(o => o.ToArray()).ToArray();
    }
}
