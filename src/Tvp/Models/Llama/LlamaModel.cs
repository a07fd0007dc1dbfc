using TorchSharp;
using TorchSharp.Modules;
using Tvp.Models.Multimodal;
using Tvp.Training;
using static TorchSharp.torch;

namespace Tvp.Models.Llama;

/// <summary>
/// The LLaMA decoder stack (HF <c>LlamaModel</c>: <c>embed_tokens</c>, <c>layers.N</c>, <c>norm</c>).
/// Takes embeddings, so a multimodal model can splice image features in. Padding on either side is
/// handled by the key mask; position ids follow the real tokens (a row's first real token gets
/// position 0, or the cache's next position).
/// </summary>
internal sealed class LlamaModel : nn.Module
{
    private readonly Embedding embed_tokens;
    private readonly ModuleList<LlamaDecoderLayer> layers;
    private readonly RmsNorm norm;
    private readonly RotaryEmbedding _rope;

    public LlamaConfig Config { get; }

    public LlamaModel(LlamaConfig c) : base(nameof(LlamaModel))
    {
        Config = c;
        embed_tokens = nn.Embedding(c.VocabSize, c.HiddenSize);
        layers = nn.ModuleList(Enumerable.Range(0, c.NumLayers).Select(_ => new LlamaDecoderLayer(c)).ToArray());
        norm = new RmsNorm(c.HiddenSize, c.RmsNormEps);
        _rope = new RotaryEmbedding(c.HeadDim, c.RopeTheta, c.RopeLinearFactor);
        RegisterComponents();
    }

    /// <summary>The token embedding table [vocab, hidden].</summary>
    public Tensor EmbeddingWeight => embed_tokens.weight!;

    /// <summary>Token embeddings [N,T,D] of ids [N,T].</summary>
    public Tensor Embed(Tensor ids) => embed_tokens.forward(ids);

    /// <summary>
    /// Runs the decoder. <paramref name="embeds"/> [N,T,D]; <paramref name="mask"/> [N,T] bool (true = real
    /// token; null = all real); <paramref name="past"/> a cache of batch N/G shared by groups of G rows.
    /// Returns the final-normed hidden states [N,T,D] and, when <paramref name="useCache"/>, the cache
    /// extended by these tokens (only for G = 1). <paramref name="layerOutputs"/> collects the
    /// embeddings and each layer's output (before the final norm). Under <see cref="ActivationCheckpointing"/>
    /// (no cache) each layer keeps only its input and is recomputed in backward.
    /// </summary>
    public (Tensor Hidden, KeyValueCache? Cache) Forward(Tensor embeds, Tensor? mask = null, KeyValueCache? past = null,
        bool useCache = false, List<Tensor>? layerOutputs = null)
    {
        using var scope = NewDisposeScope();
        long n = embeds.shape[0], t = embeds.shape[1];
        var step = DecoderStep.Create(n, t, embeds.device, mask, past, useCache, "llama");
        var (cos, sin) = _rope.Tables(step.Positions, embeds.dtype);

        var x = embeds;
        layerOutputs?.Add(x.MoveToOuterDisposeScope());
        var keys = new Tensor[layers.Count];
        var values = new Tensor[layers.Count];
        bool checkpointed = ActivationCheckpointing.Enabled && past is null && !useCache;
        for (int i = 0; i < layers.Count; i++)
        {
            if (checkpointed)
            {
                var layer = layers[i];                                                     // recomputed in backward
                x = ActivationCheckpointing.Run((h, c) => layer.Forward(h, c[0], c[1], null, null, null, c[2]).Hidden,
                    x, cos, sin, step.NewAllowed);
                if (layerOutputs is not null) layerOutputs.Add(x.MoveToOuterDisposeScope());
                continue;
            }
            var (h, k, v) = layers[i].Forward(x, cos, sin, past?.Keys[i], past?.Values[i], step.PastAllowed, step.NewAllowed);
            x = h;
            if (layerOutputs is not null) layerOutputs.Add(x.MoveToOuterDisposeScope());
            keys[i] = k;
            values[i] = v;
        }
        var hidden = norm.forward(x).MoveToOuterDisposeScope();
        var cache = useCache ? step.Extend(past, keys, values) : null;
        return (hidden, cache);
    }
}
