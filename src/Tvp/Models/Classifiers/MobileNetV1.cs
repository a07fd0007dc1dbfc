using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tvp.Models.Classifiers;

/// <summary>
/// MobileNetV1 (Howard et al. 2017) as exported from TF-slim with BatchNorm folded into conv biases:
/// <c>layers.0</c> a 3×3 stride-2 conv, then 13 depthwise-separable blocks (<c>layers.2j−1</c> depthwise
/// 3×3, <c>layers.2j</c> pointwise 1×1), ReLU6 after every conv, global average pool, <c>classifier</c> Linear.
/// </summary>
internal sealed class MobileNetV1 : ClassifierNetwork
{
    /// <summary>TF-slim's base widths (α = 1) of the stem and the 13 pointwise outputs, and the 13 depthwise strides.</summary>
    private static readonly int[] BaseWidths = { 32, 64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024 };
    private static readonly int[] DepthwiseStrides = { 1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1 };

    private readonly ModuleList<PaddedConv2d> layers;
    private readonly Linear classifier;

    public MobileNetV1(MobileNetV1Spec spec, int numClasses, PaddingRule padding) : base(nameof(MobileNetV1))
    {
        // TF-slim: depth(d) = max(int(d·α), 8).
        long Width(int d) => Math.Max((long)(d * spec.WidthMultiplier), 8);
        var list = new List<PaddedConv2d>();
        long c = Width(BaseWidths[0]);
        list.Add(new PaddedConv2d(3, c, 3, 2, padding, hasBias: true));
        for (int j = 0; j < DepthwiseStrides.Length; j++)
        {
            long next = Width(BaseWidths[j + 1]);
            list.Add(new PaddedConv2d(c, c, 3, DepthwiseStrides[j], padding, groups: c, hasBias: true));
            list.Add(new PaddedConv2d(c, next, 1, 1, padding, hasBias: true));
            c = next;
        }
        layers = nn.ModuleList(list.ToArray());
        classifier = nn.Linear(c, numClasses);
        FeatureSize = c;
        RegisterComponents();
    }

    public override long FeatureSize { get; }

    public override Tensor Features(Tensor x)
    {
        using var clInput = ChannelsLast.Prepare(x, ChannelsLastUse.Always);
        if (clInput is not null) x = clInput;
        using var scope = NewDisposeScope();
        var y = x;
        foreach (var layer in layers) y = layer.Forward(y, relu6: true); // ReLU6 on each convolution's fresh result (in place without a graph)
        return GlobalAveragePool(y).MoveToOuterDisposeScope(); // [B, C]
    }

    public override Tensor Classify(Tensor features) => classifier.forward(features);
}
