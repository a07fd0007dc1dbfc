using static TorchSharp.torch;

namespace Tvp.Models.Llama;

/// <summary>Greedy decoding with a key/value cache: the prompt runs once, then one token per step.</summary>
internal static class GreedyGenerator
{
    /// <summary>
    /// Continues each row of <paramref name="embeds"/> [B,T,D] (left-padded, mask [B,T]) with up to
    /// <paramref name="maxNewTokens"/> argmax tokens, stopping a row at <paramref name="eos"/> (not included).
    /// </summary>
    public static int[][] Generate(LlamaForCausalLM lm, Tensor embeds, Tensor? mask, int maxNewTokens, int? eos)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        int b = (int)embeds.shape[0];
        var outputs = Enumerable.Range(0, b).Select(_ => new List<int>()).ToArray();
        var done = new bool[b];
        var (h, cache) = lm.Decoder.Forward(embeds, mask, useCache: true);
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
                var (h2, c2) = lm.Decoder.Forward(lm.Decoder.Embed(next.unsqueeze(1)), stepMask, past: cache, useCache: true);
                cache!.Dispose();
                (h, cache) = (h2, c2);
            }
        }
        finally { cache?.Dispose(); }
        return outputs.Select(o => o.ToArray()).ToArray();
    }
}
