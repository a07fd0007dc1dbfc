using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tvp.Models.Blip2;

/// <summary>A pre-LN vision block: <c>x + self_attn(layer_norm1 x)</c>, then <c>x + mlp(layer_norm2 x)</c>.</summary>
internal sealed class Blip2EncoderLayer : nn.Module<Tensor, Tensor>
{
    private readonly Blip2Attention self_attn;
    private readonly LayerNorm layer_norm1, layer_norm2;
    private readonly Blip2Mlp mlp;

    public Blip2EncoderLayer(Blip2VisionConfig c) : base(nameof(Blip2EncoderLayer))
    {
        self_attn = new Blip2Attention(c);
        layer_norm1 = nn.LayerNorm(c.HiddenSize, c.LayerNormEps);
        mlp = new Blip2Mlp(c);
        layer_norm2 = nn.LayerNorm(c.HiddenSize, c.LayerNormEps);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = x + self_attn.forward(layer_norm1.forward(x));
        return (h + mlp.forward(layer_norm2.forward(h))).MoveToOuterDisposeScope();
    }
}
