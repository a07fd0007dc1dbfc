using TorchSharp;
using TorchSharp.Modules;
using Tvp.Models.Llama;
using static TorchSharp.torch;

namespace Tvp.Models.T5;

/// <summary>
/// HF <c>T5Stack</c> (encoder or decoder): <c>block.N</c> and <c>final_layer_norm</c>. The token embedding is
/// the model's <c>shared</c> table (not owned here). Block 0's relative position bias is added in every block.
/// </summary>
internal sealed class T5Stack : nn.Module
{
    private readonly ModuleList<T5Block> block;
    private readonly RmsNorm final_layer_norm;
    private readonly bool _isDecoder;

    public T5Stack(T5Config c, bool isDecoder) : base(nameof(T5Stack))
    {
        int n = isDecoder ? c.NumDecoderLayers : c.NumLayers;
        block = nn.ModuleList(Enumerable.Range(0, n).Select(i => new T5Block(c, isDecoder, hasRelativeBias: i == 0)).ToArray());
        final_layer_norm = new RmsNorm(c.DModel, c.LayerNormEps);
        _isDecoder = isDecoder;
        RegisterComponents();
    }

    /// <summary>The relative position bias [1,H,q,k] of this stack (decoder: causal buckets, without the causal mask).</summary>
    public Tensor PositionBias(long queryLength, long keyLength, Device device) =>
        block[0].SelfAttention.Attention.PositionBias(queryLength, keyLength, device);

    /// <summary>Additive mask [N,1,1,S] from a key mask [N,S] bool (0 where allowed, a large negative elsewhere).</summary>
    internal static Tensor KeyBias(Tensor mask, ScalarType dtype) =>
        zeros(mask.shape[0], 1, 1, mask.shape[1], dtype: dtype, device: mask.device)
            .masked_fill(mask.logical_not().view(mask.shape[0], 1, 1, mask.shape[1]), dtype == ScalarType.Float64 ? double.MinValue : float.MinValue);

    /// <summary>
    /// Runs the stack on embeddings [N,T,D]. Encoder: <paramref name="mask"/> [N,T] bool keys. Decoder: causal,
    /// attending to <paramref name="encoderHidden"/> [N,S,D] with <paramref name="encoderMask"/> [N,S].
    /// Returns the final-normed hidden states [N,T,D].
    /// </summary>
    public Tensor Forward(Tensor embeds, Tensor? mask, Tensor? encoderHidden = null, Tensor? encoderMask = null)
    {
        using var scope = NewDisposeScope();
        long n = embeds.shape[0], t = embeds.shape[1];
        var dev = embeds.device;
        var bias = PositionBias(t, t, dev).to(embeds.dtype);                                   // [1, H, T, T]
        if (_isDecoder)
        {
            var causal = ones(t, t, dtype: ScalarType.Bool, device: dev).tril().logical_not();  // [T, T]
            bias = bias.masked_fill(causal, embeds.dtype == ScalarType.Float64 ? double.MinValue : float.MinValue);
        }
        if (mask is not null) bias = bias + KeyBias(mask, embeds.dtype);                      // [N, H, T, T]
        Tensor? encBias = null;
        if (_isDecoder)
        {
            if (encoderHidden is null) throw new ArgumentException("t5 decoder: no encoder output given");
            var em = encoderMask ?? ones(encoderHidden.shape[0], encoderHidden.shape[1], dtype: ScalarType.Bool, device: dev);
            encBias = KeyBias(em, embeds.dtype);                                                // [N, 1, 1, S]
        }
        var x = embeds;
        foreach (var b in block) x = b.Forward(x, bias, encoderHidden, encBias);
        return final_layer_norm.forward(x).MoveToOuterDisposeScope();
    }
}
