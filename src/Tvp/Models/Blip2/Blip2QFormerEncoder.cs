using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tvp.Models.Blip2;

/// <summary>The Q-Former layer stack (<c>layer.N</c>).</summary>
internal sealed class Blip2QFormerEncoder : nn.Module
{
    private readonly ModuleList<Blip2QFormerLayer> layer;

    public Blip2QFormerEncoder(Blip2QFormerConfig c, bool textInput) : base(nameof(Blip2QFormerEncoder))
    {
        layer = nn.ModuleList(Enumerable.Range(0, c.NumLayers).Select(i => new Blip2QFormerLayer(c, i, textInput)).ToArray());
        RegisterComponents();
    }

    /// <summary>See <see cref="Blip2QFormerLayer.Forward"/>.</summary>
    public Tensor Forward(Tensor x, Tensor? selfBias, Tensor image, int queryLength)
    {
        using var scope = NewDisposeScope();
        foreach (var l in layer) x = l.Forward(x, selfBias, image, queryLength);
        return x.MoveToOuterDisposeScope();
    }
}
