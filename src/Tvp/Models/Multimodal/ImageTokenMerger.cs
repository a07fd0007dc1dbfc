using static TorchSharp.torch;

namespace Tvp.Models.Multimodal;

/// <summary>
/// Joins image features with embedded text for every multimodal model: each prompt row holds one slot id per
/// visual token (LLaVA's image token; BLIP-2's query slots, prepended or at <c>image_token_index</c>; the
/// MiniGPT-4 placeholder), and row b's image features [P,D] replace its slots in order (HF <c>masked_scatter</c>).
/// </summary>
internal static class ImageTokenMerger
{
    /// <summary>
    /// Embeds <paramref name="rows"/> (already holding P slots each) with <paramref name="lm"/> and scatters
    /// <paramref name="imageFeatures"/> [B,P,D] into the slots. Rows are padded on the left (scoring,
    /// generation) or the right (loss).
    /// </summary>
    public static MergedInputs Merge(ILanguageModel lm, IReadOnlyList<int[]> rows, int slotId, Tensor imageFeatures, bool leftPad, string model)
    {
        using var scope = NewDisposeScope();
        if (imageFeatures.shape[0] != rows.Count)
            throw new ArgumentException($"{model}: {rows.Count} prompts but {imageFeatures.shape[0]} images");
        long p = imageFeatures.shape[1];
        for (int b = 0; b < rows.Count; b++)
        {
            int n = rows[b].Count(i => i == slotId);
            if (n != p) throw new ArgumentException($"{model}: prompt {b} holds {n} image slots (id {slotId}) for {p} visual tokens");
        }
        int t = rows.Max(r => r.Length);
        var ids = new long[rows.Count * t];
        var mask = new bool[ids.Length];
        var isImage = new bool[ids.Length];
        var offsets = new int[rows.Count];
        for (int b = 0; b < rows.Count; b++)
        {
            offsets[b] = leftPad ? t - rows[b].Length : 0;
            for (int k = 0; k < rows[b].Length; k++)
            {
                int at = b * t + offsets[b] + k;
                bool img = rows[b][k] == slotId;
                ids[at] = img ? 0 : rows[b][k];
                isImage[at] = img;
                mask[at] = true;
            }
        }
        var dev = imageFeatures.device;
        var idT = tensor(ids, new long[] { rows.Count, t }, device: dev);
        var imgMask = tensor(isImage, new long[] { rows.Count, t, 1 }, device: dev);                    // [B, T, 1]
        var text = lm.Embed(idT);                                                                      // [B, T, D]
        if (text.shape[2] != imageFeatures.shape[2])
            throw new ArgumentException($"{model}: visual tokens have width {imageFeatures.shape[2]} but the language model's embeddings {text.shape[2]}");
        var embeds = text.masked_scatter(imgMask.expand_as(text), imageFeatures.to(text.dtype));      // [B, T, D]
        var maskT = tensor(mask, new long[] { rows.Count, t }, device: dev);
        return new MergedInputs(embeds.MoveToOuterDisposeScope(), maskT.MoveToOuterDisposeScope(), rows.ToArray(), offsets);
    }
}
