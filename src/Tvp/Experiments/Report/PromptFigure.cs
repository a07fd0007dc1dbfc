using Tvp.Prompts;
using static TorchSharp.torch;

namespace Tvp.Experiments.Report;

/// <summary>Numbers shown under a prompt's figures.</summary>
internal sealed record PromptSummary(PromptMetadata Meta, double Min, double Max, double LInf, double L2, string PreviewFile, string OnGreyFile);

/// <summary>
/// Two pictures of a prompt file: the prompt itself (values min–max scaled inside the mask, mid-grey outside,
/// as in the preview PNG) and the prompt added to a mid-grey canvas (what a model sees on a flat image),
/// both enlarged with nearest-neighbour sampling so single pixels stay visible.
/// </summary>
internal static class PromptFigure
{
    /// <summary>Pictures are enlarged by a whole factor to at least this side.</summary>
    public const int MinSide = 448;

    /// <summary>Writes <c>{stem}.png</c> and <c>{stem}-on-grey.png</c> into <paramref name="figuresDir"/>.</summary>
    public static PromptSummary Write(string promptPath, string stem, string figuresDir)
    {
        var (prompt, meta) = PromptFile.Load(promptPath);
        using var _ = prompt;
        using var scope = NewDisposeScope();
        var values = prompt.Values();                                    // [3, S, S], mask applied
        var mask = prompt.Mask.detach().cpu();                           // [1, S, S]
        int side = (int)values.shape[1];
        int k = Math.Max(1, (MinSide + side - 1) / side);
        var bigValues = Enlarge(values, k);                              // [3, kS, kS]
        var bigMask = Enlarge(mask, k);                                  // [1, kS, kS]
        var preview = stem + ".png";
        var onGrey = stem + "-on-grey.png";
        PromptFile.WritePreview(Path.Combine(figuresDir, preview), bigValues, bigMask);
        PromptFile.WritePng(Path.Combine(figuresDir, onGrey), bigValues + 0.5f);
        var inside = values.masked_select(mask.expand(3, -1, -1).to_type(ScalarType.Bool));
        bool any = inside.numel() > 0;
        return new PromptSummary(meta,
            any ? inside.min().item<float>() : 0, any ? inside.max().item<float>() : 0,
            any ? inside.abs().max().item<float>() : 0, values.norm().item<float>(), preview, onGrey);
    }

    private static Tensor Enlarge(Tensor chw, int k) =>
        k == 1 ? chw : chw.repeat_interleave(k, 1).repeat_interleave(k, 2); // [C, kH, kW]
}
