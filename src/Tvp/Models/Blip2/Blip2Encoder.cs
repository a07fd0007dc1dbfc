using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tvp.Models.Blip2;

/// <summary>The vision encoder stack (<c>layers.N</c>).</summary>
internal sealed class Blip2Encoder : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<Blip2EncoderLayer> layers;

    public Blip2Encoder(Blip2VisionConfig c) : base(nameof(Blip2Encoder))
    {
        layers = nn.ModuleList(Enumerable.Range(0, c.NumLayers).Select(_ => new Blip2EncoderLayer(c)).ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        foreach (var l in layers) x = l.forward(x);
        return x.MoveToOuterDisposeScope();
    }
}
