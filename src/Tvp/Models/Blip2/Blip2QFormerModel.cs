using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tvp.Models.Blip2;

/// <summary>
/// HF <c>Blip2QFormerModel</c> / <c>InstructBlipQFormerModel</c>: BLIP-2 normalises the query tokens with
/// <c>layernorm</c>; InstructBLIP embeds queries + instruction with <c>embeddings</c>. Then the <c>encoder</c>.
/// Self-attention masks are additive <c>(1 - m) * -10000</c> as in HF/LAVIS.
/// </summary>
internal sealed class Blip2QFormerModel : nn.Module
{
    private readonly LayerNorm? layernorm;
    private readonly Blip2QFormerEmbeddings? embeddings;
    private readonly Blip2QFormerEncoder encoder;

    public Blip2QFormerModel(Blip2QFormerConfig c, bool textInput) : base(nameof(Blip2QFormerModel))
    {
        if (textInput) embeddings = new Blip2QFormerEmbeddings(c);
        else layernorm = nn.LayerNorm(c.HiddenSize, c.LayerNormEps);
        encoder = new Blip2QFormerEncoder(c, textInput);
        RegisterComponents();
    }

    /// <summary>The embedding output [B,Q(+T),D]: normalised queries (and instruction).</summary>
    public Tensor EmbeddingOutput(Tensor queries, Tensor? instructionIds)
    {
        if (embeddings is not null) return embeddings.Forward(queries, instructionIds);
        if (instructionIds is not null) throw new ArgumentException("q-former: this BLIP-2 Q-Former takes no instruction tokens");
        return layernorm!.forward(queries);
    }

    /// <summary>
    /// Q-Former output [B,Q(+T),D] for queries [B,Q,D], optional instruction ids [B,T] with mask [B,T] bool,
    /// and image features [B,S,Dv].
    /// </summary>
    public Tensor Forward(Tensor queries, Tensor? instructionIds, Tensor? instructionMask, Tensor image)
    {
        using var scope = NewDisposeScope();
        var x = EmbeddingOutput(queries, instructionIds);
        Tensor? bias = null;
        int q = (int)queries.shape[1];
        if (instructionIds is not null && instructionMask is not null)
        {
            var full = cat(new[] { ones(queries.shape[0], q, dtype: ScalarType.Bool, device: x.device), instructionMask }, 1); // [B, Q+T]
            bias = (1.0 - full.to(x.dtype)).mul(-10000.0).view(full.shape[0], 1, 1, full.shape[1]);                           // [B, 1, 1, Q+T]
        }
        return encoder.Forward(x, bias, image.to(x.dtype), q).MoveToOuterDisposeScope();
    }
}
