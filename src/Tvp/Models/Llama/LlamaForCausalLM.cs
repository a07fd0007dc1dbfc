using TorchSharp;
using Tvp.IO.Json;
using TorchSharp.Modules;
using Tvp.IO;
using Tvp.Models.Multimodal;
using static TorchSharp.torch;

namespace Tvp.Models.Llama;

/// <summary>
/// HF <c>LlamaForCausalLM</c>: the decoder (<c>model.*</c>) and the output head (<c>lm_head</c>, or the
/// token embedding when the embeddings are tied). Loads single or sharded safetensors checkpoints.
/// </summary>
internal sealed class LlamaForCausalLM : nn.Module, ICausalLanguageModel
{
    private readonly LlamaModel model;
    private readonly Linear? lm_head;

    public LlamaConfig Config { get; }

    public LlamaModel Decoder => model;

    public LlamaForCausalLM(LlamaConfig c) : base(nameof(LlamaForCausalLM))
    {
        Config = c;
        model = new LlamaModel(c);
        if (!c.TieWordEmbeddings) lm_head = nn.Linear(c.HiddenSize, c.VocabSize, hasBias: false);
        RegisterComponents();
    }

    /// <inheritdoc />
    public int VocabSize => Config.VocabSize;

    /// <inheritdoc />
    public int? EosTokenId => Config.EosTokenId;

    /// <inheritdoc />
    public Tensor Embed(Tensor ids) => model.Embed(ids);

    /// <inheritdoc />
    (Tensor Hidden, KeyValueCache? Cache) ICausalLanguageModel.Forward(Tensor embeds, Tensor? mask, KeyValueCache? past, bool useCache) =>
        model.Forward(embeds, mask, past, useCache);

    /// <summary>Vocabulary logits for hidden states [..., D].</summary>
    public Tensor Logits(Tensor hidden) =>
        lm_head is not null ? lm_head.forward(hidden) : nn.functional.linear(hidden, model.EmbeddingWeight);

    /// <summary>Logits [N,T,V] for token ids [N,T] (optional key mask [N,T] bool).</summary>
    public Tensor Forward(Tensor ids, Tensor? mask = null)
    {
        using var scope = NewDisposeScope();
        var (h, _) = model.Forward(model.Embed(ids), mask);
        return Logits(h).MoveToOuterDisposeScope();
    }

    /// <summary>Loads a <c>LlamaForCausalLM</c> folder (config.json + safetensors) onto a device.</summary>
    public static LlamaForCausalLM Load(string folder, Device? device = null)
    {
        var config = LlamaConfig.Load(folder);
        var ck = Checkpoint.Open(folder);
        var m = EmptyModules.CreateFor(ck, () => new LlamaForCausalLM(config));
        StateDictLoader.Load(m, ck, unusedAllowed: k => config.TieWordEmbeddings && k == "lm_head.weight");
        m.eval();
        if (device is not null) m.to(device);
        return m;
    }

    /// <summary>True when the folder's config.json says model_type llama.</summary>
    internal static bool IsLlamaFolder(string folder) => ModelTypeJson.OfFolder(folder) == "llama";
}
