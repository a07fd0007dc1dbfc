using static TorchSharp.torch;

namespace Tvp.Models.Multimodal;

/// <summary>
/// The language-model loss TVP trains through: mean cross-entropy over the answer tokens of all rows (prompt
/// and image positions carry no loss), for decoder-only and encoder–decoder models.
/// </summary>
internal static class AnswerLoss
{
    /// <summary>
    /// Decoder-only: <paramref name="merged"/> holds prompt + answer per row (right-padded); the last
    /// answers[b].Length ids of row b are the answer.
    /// </summary>
    public static Tensor DecoderOnly(ICausalLanguageModel lm, MergedInputs merged, IReadOnlyList<int[]> answers)
    {
        using var scope = NewDisposeScope();
        var (hidden, _) = lm.Forward(merged.Embeds, merged.Mask);                                   // [B, T, D]
        long t = hidden.shape[1];
        var from = new List<long>();
        var targets = new List<long>();
        for (int b = 0; b < answers.Count; b++)
        {
            int answerStart = merged.Ids[b].Length - answers[b].Length;
            for (int k = 0; k < answers[b].Length; k++)
            {
                from.Add(b * t + merged.Offsets[b] + answerStart + k - 1);                           // position predicting answer token k
                targets.Add(answers[b][k]);
            }
        }
        var flat = hidden.view(-1, hidden.shape[2]);                                                // [B*T, D]
        var picked = flat.index_select(0, tensor(from.ToArray(), device: hidden.device));            // [N, D]
        var logits = lm.Logits(picked).to(ScalarType.Float32);                                      // [N, V], float32 for the loss
        return nn.functional.cross_entropy(logits, tensor(targets.ToArray(), device: hidden.device)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Encoder–decoder: the encoder reads <paramref name="encoderEmbeds"/> [B,S,D] (mask [B,S]); the decoder is
    /// fed start id + answer[:-1] and predicts each answer token.
    /// </summary>
    public static Tensor EncoderDecoder(IEncoderDecoderLanguageModel lm, Tensor encoderEmbeds, Tensor? encoderMask, IReadOnlyList<int[]> answers)
    {
        using var scope = NewDisposeScope();
        var (ids, mask, _) = ContinuationScorer.PackCandidates(answers.Select(a => (IReadOnlyList<int[]>)new[] { a }).ToArray(), encoderEmbeds.device); // [B, L]
        var hidden = lm.Decode(ContinuationScorer.DecoderInputs(ids, lm.DecoderStartTokenId), lm.Encode(encoderEmbeds, encoderMask), encoderMask); // [B, L, D]
        var logits = lm.Logits(hidden).to(ScalarType.Float32);                                     // [B, L, V], float32 for the loss
        var targets = ids.masked_fill(mask.logical_not(), -100);                                   // [B, L]
        return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), targets.reshape(-1), ignore_index: -100).MoveToOuterDisposeScope();
    }
}
