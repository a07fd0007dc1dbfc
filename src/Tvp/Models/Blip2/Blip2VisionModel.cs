using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tvp.Models.Blip2;

/// <summary>
/// HF <c>Blip2VisionModel</c> (also InstructBLIP's): <c>embeddings</c>, <c>encoder</c>, <c>post_layernorm</c>.
/// <c>last_hidden_state = post_layernorm(encoder(x))</c> is what the Q-Former reads; HF's pooler applies
/// <c>post_layernorm</c> once more to the class row.
/// </summary>
internal sealed class Blip2VisionModel : nn.Module<Tensor, Tensor>
{
    private readonly Blip2VisionEmbeddings embeddings;
    private readonly Blip2Encoder encoder;
    private readonly LayerNorm post_layernorm;

    public Blip2VisionModel(Blip2VisionConfig c) : base(nameof(Blip2VisionModel))
    {
        embeddings = new Blip2VisionEmbeddings(c);
        encoder = new Blip2Encoder(c);
        post_layernorm = nn.LayerNorm(c.HiddenSize, c.LayerNormEps);
        RegisterComponents();
    }

    /// <summary>Patch + class + position embeddings [B,1+P,D] (the encoder input).</summary>
    public Tensor Embeddings(Tensor pixels) => embeddings.forward(pixels);

    /// <summary>last_hidden_state [B,1+P,D] of normalised pixel values [B,3,S,S].</summary>
    public override Tensor forward(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        return post_layernorm.forward(encoder.forward(embeddings.forward(pixels))).MoveToOuterDisposeScope();
    }

    /// <summary>HF pooler_output [B,D]: post_layernorm of the class row of last_hidden_state.</summary>
    public Tensor Pooler(Tensor lastHiddenState) => post_layernorm.forward(lastHiddenState.select(1, 0));
}
