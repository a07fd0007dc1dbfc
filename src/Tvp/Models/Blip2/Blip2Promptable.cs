using TorchSharp;
using Tvp.IO.Tokenizers;
using Tvp.Models.Multimodal;
using static TorchSharp.torch;

namespace Tvp.Models.Blip2;

/// <summary>
/// A BLIP-2 or InstructBLIP checkpoint as a promptable model (<see cref="MultimodalPromptable"/>): visual tokens = the
/// projected query outputs (what the paper's FCA compares); encoder features = the vision encoder's
/// <c>last_hidden_state</c>. InstructBLIP's Q-Former reads the template's instruction, tokenized with the
/// checkpoint's <c>qformer_tokenizer/</c> (HF layout).
/// </summary>
internal sealed class Blip2Promptable : MultimodalPromptable
{
    private readonly ITextTokenizer? _qformerTokenizer;

    public Blip2ForConditionalGeneration Net { get; }

    private Blip2Promptable(string folder, Blip2ForConditionalGeneration net, ITextTokenizer? tokenizer, ITextTokenizer? qformerTokenizer,
        PromptTemplate template, ImagePreprocessor pre, Device device)
        : base(folder, tokenizer, template, pre, net.Config.Kind == Blip2Kind.Blip2 ? "blip-2" : "instructblip", device, Blip2ForConditionalGeneration.QuerySlot)
    {
        Net = net; _qformerTokenizer = qformerTokenizer;
    }

    /// <summary>The built-in template of a checkpoint's kind and language model.</summary>
    internal static string DefaultTemplate(Blip2Config c) => (c.Kind, c.Text.IsEncoderDecoder) switch
    {
        (Blip2Kind.Blip2, false) => "blip2-opt",
        (Blip2Kind.Blip2, true) => "blip2-t5",
        (Blip2Kind.InstructBlip, false) => "instructblip-vicuna",
        _ => "instructblip-t5",
    };

    /// <summary>Loads a blip-2 / instructblip folder: weights, tokenizers (if any), template, preprocessing.</summary>
    public static Blip2Promptable Load(string folder, Device device)
    {
        var net = Blip2ForConditionalGeneration.Load(folder, device);
        foreach (var p in net.parameters()) p.requires_grad = false;
        var pre = ImagePreprocessor.ForVisionEncoder(folder, net.Config.Vision.ImageSize);
        var qtok = net.Config.QFormerTextInput ? TextTokenizer.TryLoad(Path.Combine(folder, "qformer_tokenizer")) : null;
        return new Blip2Promptable(folder, net, TextTokenizer.TryLoad(folder), qtok, PromptTemplate.ForCheckpoint(folder, DefaultTemplate(net.Config)), pre, device);
    }

    internal override ILanguageModel LanguageModel => Net.LanguageModel;

    public override bool NeedsInstruction => Net.Config.QFormerTextInput;

    public override int[]? InstructionIds(string question)
    {
        if (!Net.Config.QFormerTextInput) return null;
        var tok = _qformerTokenizer ?? throw new InvalidOperationException($"{Folder}: instructblip needs qformer_tokenizer/ (or --qformer-input-ids)");
        var ids = tok.Encode(Template.RenderInstruction(question), addBos: true);
        return ids.Length > Net.Config.QFormer.MaxPositionEmbeddings ? ids[..Net.Config.QFormer.MaxPositionEmbeddings] : ids;
    }

    /// <summary>Instruction ids [B,T] (right-padded with the Q-Former pad id) and their mask [B,T] bool.</summary>
    internal (Tensor Ids, Tensor Mask) InstructionTensors(IReadOnlyList<int[]> rows)
    {
        int t = Math.Max(1, rows.Max(r => r.Length));
        var ids = new long[rows.Count * t];
        var mask = new bool[ids.Length];
        for (int b = 0; b < rows.Count; b++)
            for (int k = 0; k < t; k++)
            {
                bool real = k < rows[b].Length;
                ids[b * t + k] = real ? rows[b][k] : Net.Config.QFormer.PadTokenId;
                mask[b * t + k] = real;
            }
        return (tensor(ids, new long[] { rows.Count, t }, device: Device), tensor(mask, new long[] { rows.Count, t }, device: Device));
    }

    internal override (Tensor Encoder, Tensor Visual) EncodeImages(Tensor pixelValues, IReadOnlyList<int[]>? instructions)
    {
        using var scope = NewDisposeScope();
        Tensor? ids = null, mask = null;
        if (Net.Config.QFormerTextInput)
        {
            if (instructions is null) throw new ArgumentException($"{Info.Name}: instructblip needs Q-Former instruction ids");
            if (instructions.Count != pixelValues.shape[0]) throw new ArgumentException($"{Info.Name}: {instructions.Count} instructions for {pixelValues.shape[0]} images");
            (ids, mask) = InstructionTensors(instructions);
        }
        var (vision, visual) = Net.Encode(pixelValues, ids, mask);
        return (vision.MoveToOuterDisposeScope(), visual.MoveToOuterDisposeScope());
    }

    internal override MergedInputs Merge(IReadOnlyList<int[]> prompts, Tensor visual, bool leftPad) => Net.Merge(prompts, visual, leftPad);

    private protected override void DisposeNetwork()
    {
        Net.Dispose();
        _qformerTokenizer?.Dispose();
    }
}
