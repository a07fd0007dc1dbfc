using TorchSharp.Modules;
using Tvp.Models.Multimodal;
using static TorchSharp.torch;

namespace Tvp.Models.Opt;

/// <summary>
/// HF <c>OPTForCausalLM</c>: <c>model.decoder.*</c> and <c>lm_head</c>, which is the token embedding when
/// <c>tie_word_embeddings</c> (the default; checkpoints then usually omit <c>lm_head.weight</c>).
/// </summary>
internal sealed class OptForCausalLM : nn.Module, ICausalLanguageModel
{
    private readonly OptModel model;
    private readonly Linear? lm_head;

    public OptConfig Config { get; }

    public OptForCausalLM(OptConfig c) : base(nameof(OptForCausalLM))
    {
        Config = c;
        model = new OptModel(c);
        if (!c.TieWordEmbeddings) lm_head = nn.Linear(c.WordEmbedProjDim, c.VocabSize, hasBias: false);
        RegisterComponents();
    }

    /// <inheritdoc />
    public int VocabSize => Config.VocabSize;

    /// <inheritdoc />
    public int? EosTokenId => Config.EosTokenId;

    /// <inheritdoc />
    public Tensor Embed(Tensor ids) => model.Decoder.Embed(ids);

    /// <inheritdoc />
    public (Tensor Hidden, KeyValueCache? Cache) Forward(Tensor embeds, Tensor? mask = null, KeyValueCache? past = null, bool useCache = false) =>
        model.Decoder.Forward(embeds, mask, past, useCache);

    /// <inheritdoc />
    public Tensor Logits(Tensor hidden) =>
        lm_head is not null ? lm_head.forward(hidden) : nn.functional.linear(hidden, model.Decoder.EmbeddingWeight);
}
