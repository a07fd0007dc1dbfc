using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tvp.Models.Blip2;

/// <summary>
/// InstructBLIP's Q-Former embeddings: <c>layernorm(cat(query_tokens, word_embeddings(ids) + position_embeddings(0..T-1)))</c>
/// (instruction positions start at 0; the queries get no position embedding).
/// </summary>
internal sealed class Blip2QFormerEmbeddings : nn.Module
{
    private readonly Embedding word_embeddings, position_embeddings;
    private readonly LayerNorm layernorm;

    public Blip2QFormerEmbeddings(Blip2QFormerConfig c) : base(nameof(Blip2QFormerEmbeddings))
    {
        word_embeddings = nn.Embedding(c.VocabSize, c.HiddenSize);
        position_embeddings = nn.Embedding(c.MaxPositionEmbeddings, c.HiddenSize);
        layernorm = nn.LayerNorm(c.HiddenSize, c.LayerNormEps);
        RegisterComponents();
    }

    /// <summary>queries [B,Q,D] and instruction ids [B,T] (or null) → [B,Q+T,D].</summary>
    public Tensor Forward(Tensor queries, Tensor? ids)
    {
        using var scope = NewDisposeScope();
        var x = queries;
        if (ids is not null)
        {
            long t = ids.shape[1];
            if (t > position_embeddings.weight!.shape[0])
                throw new ArgumentException($"q-former: {t} instruction tokens exceed max_position_embeddings {position_embeddings.weight!.shape[0]}");
            var pos = arange(t, dtype: ScalarType.Int64, device: ids.device);
            var text = word_embeddings.forward(ids) + position_embeddings.forward(pos).unsqueeze(0);   // [B, T, D]
            x = cat(new[] { queries.to(text.dtype), text }, 1);                                          // [B, Q+T, D]
        }
        return layernorm.forward(x).MoveToOuterDisposeScope();
    }
}
