using Tvp.IO.Tokenizers;
using Tvp.Models.Multimodal;
using static TorchSharp.torch;

namespace Tvp.Models.MiniGpt4;

/// <summary>
/// A MiniGPT-4 folder (<see cref="MiniGpt4Layout"/>) as a promptable model (<see cref="MultimodalPromptable"/>): visual
/// tokens = <c>llama_proj</c> of the Q-Former queries (what the paper's released FCA compares); encoder features =
/// the BLIP-2 vision encoder output. Tokenizer from <c>llama/</c>; template "minigpt4" unless the folder has one.
/// </summary>
internal sealed class MiniGpt4Promptable : MultimodalPromptable
{
    public MiniGpt4ForConditionalGeneration Net { get; }

    private MiniGpt4Promptable(string folder, MiniGpt4ForConditionalGeneration net, ITextTokenizer? tokenizer, PromptTemplate template, ImagePreprocessor pre, Device device)
        : base(folder, tokenizer, template, pre, "minigpt4", device, MiniGpt4ForConditionalGeneration.ImageSlot)
    {
        Net = net;
    }

    /// <summary>Loads a MiniGPT-4 layout folder.</summary>
    public static MiniGpt4Promptable Load(string folder, Device device)
    {
        var net = MiniGpt4ForConditionalGeneration.Load(folder, device);
        foreach (var p in net.parameters()) p.requires_grad = false;
        var pre = ImagePreprocessor.ForVisionEncoder(folder, net.Vision.ImageSize);
        var tokenizer = TextTokenizer.TryLoad(Path.Combine(folder, MiniGpt4Layout.LlamaFolder));
        return new MiniGpt4Promptable(folder, net, tokenizer, PromptTemplate.ForCheckpoint(folder, "minigpt4"), pre, device);
    }

    internal override ILanguageModel LanguageModel => Net.LanguageModel;

    internal override (Tensor Encoder, Tensor Visual) EncodeImages(Tensor pixelValues, IReadOnlyList<int[]>? instructions) => Net.Encode(pixelValues);

    internal override MergedInputs Merge(IReadOnlyList<int[]> prompts, Tensor visual, bool leftPad) => Net.Merge(prompts, visual, leftPad);

    private protected override void DisposeNetwork() => Net.Dispose();
}
