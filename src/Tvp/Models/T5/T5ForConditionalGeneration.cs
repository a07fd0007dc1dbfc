using TorchSharp.Modules;
using Tvp.Models.Multimodal;
using static TorchSharp.torch;

namespace Tvp.Models.T5;

/// <summary>
/// HF <c>T5ForConditionalGeneration</c> (Flan-T5): <c>shared</c> embedding, <c>encoder</c>, <c>decoder</c>,
/// <c>lm_head</c>. When <c>tie_word_embeddings</c> the head is <c>shared</c> and the decoder output is first
/// multiplied by d_model^-0.5 (T5's rescaling); untied heads (Flan-T5) are used as they are.
/// </summary>
internal sealed class T5ForConditionalGeneration : nn.Module, IEncoderDecoderLanguageModel
{
    private readonly Embedding shared;
    private readonly T5Stack encoder, decoder;
    private readonly Linear? lm_head;

    public T5Config Config { get; }

    public T5ForConditionalGeneration(T5Config c) : base(nameof(T5ForConditionalGeneration))
    {
        Config = c;
        shared = nn.Embedding(c.VocabSize, c.DModel);
        encoder = new T5Stack(c, isDecoder: false);
        decoder = new T5Stack(c, isDecoder: true);
        if (!c.TieWordEmbeddings) lm_head = nn.Linear(c.DModel, c.VocabSize, hasBias: false);
        RegisterComponents();
    }

    /// <summary>The encoder stack.</summary>
    public T5Stack EncoderStack => encoder;

    /// <summary>The decoder stack.</summary>
    public T5Stack DecoderStack => decoder;

    /// <inheritdoc />
    public int VocabSize => Config.VocabSize;

    /// <inheritdoc />
    public int? EosTokenId => Config.EosTokenId;

    /// <inheritdoc />
    public int DecoderStartTokenId => Config.DecoderStartTokenId;

    /// <inheritdoc />
    public Tensor Embed(Tensor ids) => shared.forward(ids);

    /// <inheritdoc />
    public Tensor Encode(Tensor embeds, Tensor? mask) => encoder.Forward(embeds, mask);

    /// <inheritdoc />
    public Tensor Decode(Tensor decoderIds, Tensor encoderHidden, Tensor? encoderMask)
    {
        using var scope = NewDisposeScope();
        return decoder.Forward(shared.forward(decoderIds), null, encoderHidden, encoderMask).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor Logits(Tensor hidden)
    {
        if (lm_head is not null) return lm_head.forward(hidden);
        using var scope = NewDisposeScope();
        return nn.functional.linear(hidden * Math.Pow(Config.DModel, -0.5), shared.weight!).MoveToOuterDisposeScope();
    }

    /// <summary>Checkpoint names for a module name: <c>encoder/decoder.embed_tokens</c> are aliases of <c>shared</c> (not owned here).</summary>
    internal static IEnumerable<string> CheckpointKeys(string prefix, string name)
    {
        yield return name;
        if (name == prefix + "shared.weight")
        {
            yield return prefix + "encoder.embed_tokens.weight";
            yield return prefix + "decoder.embed_tokens.weight";
        }
    }
}
