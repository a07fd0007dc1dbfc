using TorchSharp;
using TorchSharp.Modules;
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
    /// embeddings and each layer's output (before the final norm).
    /// </summary>
    public (Tensor Hidden, KeyValueCache? Cache) Forward(Tensor embeds, Tensor? mask = null, KeyValueCache? past = null,
        bool useCache = false, List<Tensor>? layerOutputs = null)
    {
        using var scope = NewDisposeScope();
        long n = embeds.shape[0], t = embeds.shape[1];
        var dev = embeds.device;
        mask ??= ones(n, t, dtype: ScalarType.Bool, device: dev);
        long g = 1;
        Tensor? pastAllowed = null, start;
        if (past is not null)
        {
            if (n % past.Batch != 0) throw new ArgumentException($"decoder: batch {n} is not a multiple of the cache batch {past.Batch}");
            g = n / past.Batch;
            if (useCache && g != 1) throw new ArgumentException("decoder: a shared (grouped) cache cannot be extended");
            pastAllowed = past.KeyMask.repeat_interleave(g, 0).view(n, 1, 1, past.Length);  // [N, 1, 1, Tp]
            start = past.NextPosition.repeat_interleave(g, 0);                               // [N]
        }
        else start = zeros(n, dtype: ScalarType.Int64, device: dev);
        var realCount = mask.to(ScalarType.Int64).cumsum(1);                                // [N, T]
        var positions = (start.unsqueeze(1) + realCount - 1).clamp_min(0);                  // [N, T]
        positions = positions.where(mask, start.unsqueeze(1).expand(n, t));                 // pads get the row start
        var causal = ones(t, t, dtype: ScalarType.Bool, device: dev).tril();                // [T, T]
        var eye = torch.eye(t, dtype: ScalarType.Bool, device: dev);
        var newAllowed = (causal & mask.view(n, 1, 1, t)) | eye;                            // [N, 1, T, T]
        var (cos, sin) = _rope.Tables(positions, embeds.dtype);

        var x = embeds;
        layerOutputs?.Add(x.MoveToOuterDisposeScope());
        var keys = new Tensor[layers.Count];
        var values = new Tensor[layers.Count];
        for (int i = 0; i < layers.Count; i++)
        {
            var (h, k, v) = layers[i].Forward(x, cos, sin, past?.Keys[i], past?.Values[i], pastAllowed, newAllowed);
            x = h;
            if (layerOutputs is not null) layerOutputs.Add(x.MoveToOuterDisposeScope());
            if (useCache)
            {
                keys[i] = past is null ? k : cat(new[] { past.Keys[i], k }, 2);                // [N, kvH, Tp+T, hd]
                values[i] = past is null ? v : cat(new[] { past.Values[i], v }, 2);
            }
        }
        var hidden = norm.forward(x).MoveToOuterDisposeScope();
        KeyValueCache? cache = null;
        if (useCache)
        {
            var keyMask = past is null ? mask : cat(new[] { past.KeyMask, mask }, 1);         // [N, Tp+T]
            var next = start + mask.to(ScalarType.Int64).sum(1);                             // [N]
            cache = new KeyValueCache(keys, values, keyMask.clone(), next);
        }
        return (hidden, cache);
    }
}
