using TorchSharp;
using TorchSharp.Modules;
using Tvp.Models.Multimodal;
using Tvp.Training;
using static TorchSharp.torch;

namespace Tvp.Models.Opt;

/// <summary>
/// HF <c>OPTDecoder</c>: <c>embed_tokens</c>, learned <c>embed_positions</c> (offset 2, over the real tokens of
/// the whole sequence), optional <c>project_in</c>/<c>project_out</c>, <c>layers.N</c>, <c>final_layer_norm</c>.
/// </summary>
internal sealed class OptDecoder : nn.Module
{
    private readonly Embedding embed_tokens, embed_positions;
    private readonly Linear? project_in, project_out;
    private readonly ModuleList<OptDecoderLayer> layers;
    private readonly LayerNorm? final_layer_norm;

    public OptDecoder(OptConfig c) : base(nameof(OptDecoder))
    {
        embed_tokens = nn.Embedding(c.VocabSize, c.WordEmbedProjDim);
        embed_positions = nn.Embedding(c.MaxPositionEmbeddings + OptConfig.PositionOffset, c.HiddenSize);
        if (c.WordEmbedProjDim != c.HiddenSize)
        {
            project_in = nn.Linear(c.WordEmbedProjDim, c.HiddenSize, hasBias: false);
            project_out = nn.Linear(c.HiddenSize, c.WordEmbedProjDim, hasBias: false);
        }
        layers = nn.ModuleList(Enumerable.Range(0, c.NumLayers).Select(_ => new OptDecoderLayer(c)).ToArray());
        if (c.DoLayerNormBefore && !c.RemoveFinalLayerNorm)
            final_layer_norm = nn.LayerNorm(c.HiddenSize, OptConfig.LayerNormEps, elementwise_affine: c.LayerNormAffine);
        RegisterComponents();
    }

    /// <summary>The token embedding table [vocab, word_embed_proj_dim].</summary>
    public Tensor EmbeddingWeight => embed_tokens.weight!;

    /// <summary>Token embeddings [N,T,word_embed_proj_dim].</summary>
    public Tensor Embed(Tensor ids) => embed_tokens.forward(ids);

    /// <summary>Runs the decoder on token-embedding-space inputs [N,T,word_embed_proj_dim]; see <see cref="ICausalLanguageModel.Forward"/>.
    /// Under <see cref="ActivationCheckpointing"/> (no cache) each layer keeps only its input and is recomputed in backward.</summary>
    public (Tensor Hidden, KeyValueCache? Cache) Forward(Tensor embeds, Tensor? mask, KeyValueCache? past, bool useCache)
    {
        using var scope = NewDisposeScope();
        long n = embeds.shape[0], t = embeds.shape[1];
        var step = DecoderStep.Create(n, t, embeds.device, mask, past, useCache, "opt");
        var x = project_in is null ? embeds : project_in.forward(embeds);
        x = x + embed_positions.forward(step.Positions + OptConfig.PositionOffset);        // [N, T, D]
        var keys = new Tensor[layers.Count];
        var values = new Tensor[layers.Count];
        bool checkpointed = ActivationCheckpointing.Enabled && past is null && !useCache;
        for (int i = 0; i < layers.Count; i++)
        {
            if (checkpointed)
            {
                var layer = layers[i];                                                     // recomputed in backward
                x = ActivationCheckpointing.Run((h, c) => layer.Forward(h, null, null, null, c[0]).Hidden, x, step.NewAllowed);
                continue;
            }
            (x, keys[i], values[i]) = layers[i].Forward(x, past?.Keys[i], past?.Values[i], step.PastAllowed, step.NewAllowed);
        }
        if (final_layer_norm is not null) x = final_layer_norm.forward(x);
        if (project_out is not null) x = project_out.forward(x);
        var cache = useCache ? step.Extend(past, keys, values) : null;
        return (x.MoveToOuterDisposeScope(), cache);
    }
}
