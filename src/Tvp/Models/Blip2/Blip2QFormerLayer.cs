using static TorchSharp.torch;

namespace Tvp.Models.Blip2;

/// <summary>
/// One Q-Former layer: self-attention over queries (+ instruction tokens), then for the query rows only
/// cross-attention to the image (layers selected by <c>cross_attention_frequency</c>) and the query
/// feed-forward (<c>intermediate_query</c>/<c>output_query</c>); instruction rows use <c>intermediate</c>/<c>output</c>.
/// </summary>
internal sealed class Blip2QFormerLayer : nn.Module
{
    private readonly Blip2QFormerAttention attention;
    private readonly Blip2QFormerAttention? crossattention;
    private readonly Blip2QFormerIntermediate? intermediate;
    private readonly Blip2QFormerSelfOutput? output;
    private readonly Blip2QFormerIntermediate intermediate_query;
    private readonly Blip2QFormerSelfOutput output_query;

    public Blip2QFormerLayer(Blip2QFormerConfig c, int index, bool textInput) : base(nameof(Blip2QFormerLayer))
    {
        attention = new Blip2QFormerAttention(c, crossAttention: false);
        if (index % c.CrossAttentionFrequency == 0) crossattention = new Blip2QFormerAttention(c, crossAttention: true);
        if (textInput)
        {
            intermediate = new Blip2QFormerIntermediate(c);
            output = new Blip2QFormerSelfOutput(c, c.IntermediateSize);
        }
        intermediate_query = new Blip2QFormerIntermediate(c);
        output_query = new Blip2QFormerSelfOutput(c, c.IntermediateSize);
        RegisterComponents();
    }

    /// <summary>
    /// x [B,Q+T,D] (queries first); selfBias [B,1,1,Q+T] or null; image [B,S,Dv]. Returns [B,Q+T,D].
    /// </summary>
    public Tensor Forward(Tensor x, Tensor? selfBias, Tensor image, int queryLength)
    {
        using var scope = NewDisposeScope();
        var a = attention.Forward(x, x, selfBias);                                      // [B, Q+T, D]
        var q = a.narrow(1, 0, queryLength);                                            // [B, Q, D]
        if (crossattention is not null) q = crossattention.Forward(q, image, null);
        var y = output_query.Forward(intermediate_query.forward(q), q);                // [B, Q, D]
        if (a.shape[1] > queryLength)
        {
            if (intermediate is null || output is null) throw new InvalidOperationException("q-former: instruction tokens given but the layer has no text feed-forward");
            var text = a.narrow(1, queryLength, a.shape[1] - queryLength);              // [B, T, D]
            y = cat(new[] { y, output.Forward(intermediate.forward(text), text) }, 1);  // [B, Q+T, D]
        }
        return y.MoveToOuterDisposeScope();
    }
}
