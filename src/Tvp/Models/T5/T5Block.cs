using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tvp.Models.T5;

/// <summary>
/// One T5 block: <c>layer.0</c> self-attention, (decoder only) <c>layer.1</c> cross-attention, then the
/// feed-forward layer (<c>layer.1</c> in the encoder, <c>layer.2</c> in the decoder).
/// </summary>
internal sealed class T5Block : nn.Module
{
    private readonly ModuleList<nn.Module> layer;

    public T5Block(T5Config c, bool isDecoder, bool hasRelativeBias) : base(nameof(T5Block))
    {
        var parts = new List<nn.Module> { new T5LayerSelfAttention(c, hasRelativeBias, bidirectional: !isDecoder) };
        if (isDecoder) parts.Add(new T5LayerCrossAttention(c));
        parts.Add(new T5LayerFF(c));
        layer = nn.ModuleList(parts.ToArray());
        RegisterComponents();
    }

    /// <summary>The self-attention layer.</summary>
    public T5LayerSelfAttention SelfAttention => (T5LayerSelfAttention)layer[0];

    /// <summary>x [N,T,D]; self-attention bias [N or 1,H,T,T]; encoder output and its bias for decoder blocks.</summary>
    public Tensor Forward(Tensor x, Tensor selfBias, Tensor? encoderHidden = null, Tensor? encoderBias = null)
    {
        using var scope = NewDisposeScope();
        var h = SelfAttention.Forward(x, selfBias);
        if (layer.Count == 3) h = ((T5LayerCrossAttention)layer[1]).Forward(h, encoderHidden!, encoderBias!);
        return ((T5LayerFF)layer[^1]).forward(h).MoveToOuterDisposeScope();
    }
}
