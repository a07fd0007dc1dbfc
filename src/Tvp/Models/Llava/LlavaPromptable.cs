using Tvp.IO.Tokenizers;
using Tvp.Models.Multimodal;
using static TorchSharp.torch;

namespace Tvp.Models.Llava;

/// <summary>
/// A LLaVA checkpoint as a promptable model (<see cref="MultimodalPromptable"/>): visual tokens = the projector output;
/// encoder features = the selected CLIP hidden layer the projector reads.
/// </summary>
internal sealed class LlavaPromptable : MultimodalPromptable
{
    public LlavaForConditionalGeneration Net { get; }

    private LlavaPromptable(string folder, LlavaForConditionalGeneration net, ITextTokenizer? tokenizer, PromptTemplate template, ImagePreprocessor pre, Device device)
        : base(folder, tokenizer, template, pre, "llava", device, net.Config.ImageTokenIndex)
    {
        Net = net;
    }

    /// <summary>Loads a llava folder: weights, tokenizer (if any), template, preprocessing (preprocessor_config.json, else CLIP's at the tower size).</summary>
    public static LlavaPromptable Load(string folder, Device device)
    {
        var net = LlavaForConditionalGeneration.Load(folder, device);
        foreach (var p in net.parameters()) p.requires_grad = false;
        var pre = ImagePreprocessor.ForVisionEncoder(folder, net.Config.Vision.ImageSize);
        return new LlavaPromptable(folder, net, TextTokenizer.TryLoad(folder), PromptTemplate.ForCheckpoint(folder), pre, device);
    }

    internal override ILanguageModel LanguageModel => Net.LanguageModel;

    internal override (Tensor Encoder, Tensor Visual) EncodeImages(Tensor pixelValues, IReadOnlyList<int[]>? instructions)
    {
        using var scope = NewDisposeScope();
        var selected = Net.SelectedVisionFeatures(pixelValues);                 // [B, P, Dv]
        var visual = Net.Project(selected);                                    // [B, P, D]
        return (selected.MoveToOuterDisposeScope(), visual.MoveToOuterDisposeScope());
    }

    internal override MergedInputs Merge(IReadOnlyList<int[]> prompts, Tensor visual, bool leftPad) => Net.Merge(prompts, visual, leftPad);

    private protected override void DisposeNetwork() => Net.Dispose();
}
