using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Tvp.Models;
using Tvp.Experiments;

namespace Tvp.Demo.Zoo;

/// <summary>
/// Attention pooling over the spatial map (a one-query cross-attention, as in a Q-Former or CLIP's attention
/// pool): tokens = the h·w positions of the map; 4 heads of 32 with a learned query; the pooled 128-d vector
/// (the connector) → classes.
/// </summary>
internal sealed class AttentionPoolingHead : ZooHead
{
    private const int Heads = 4, HeadDim = 32, Width = Heads * HeadDim;
    private readonly Parameter query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly Linear classifier;

    public AttentionPoolingHead(int channels, int classes) : base("attention", channels)
    {
        query = nn.Parameter(randn(Heads, HeadDim) * 0.02f);
        key = nn.Linear(channels, Width);
        value = nn.Linear(channels, Width);
        classifier = nn.Linear(Width, classes);
        RegisterComponents();
    }

    public override (Tensor Logits, Tensor Connector) Forward(Tensor spatial)
    {
        using var scope = NewDisposeScope();
        long b = spatial.shape[0];
        var tokens = Standardise(spatial).flatten(2).transpose(1, 2);              // [B, T, C]
        long t = tokens.shape[1];
        var k = key.forward(tokens).view(b, t, Heads, HeadDim);                    // [B, T, heads, headDim]
        var v = value.forward(tokens).view(b, t, Heads, HeadDim);                  // [B, T, heads, headDim]
        var scores = (k * query.view(1, 1, Heads, HeadDim)).sum(-1) / MathF.Sqrt(HeadDim); // [B, T, heads]
        var weights = nn.functional.softmax(scores, 1).unsqueeze(-1);              // [B, T, heads, 1]
        var connector = (weights * v).sum(1).reshape(b, Width);                    // [B, heads·headDim]
        var logits = classifier.forward(connector);                                // [B, K]
        return (logits.MoveToOuterDisposeScope(), connector.MoveToOuterDisposeScope());
    }
}
