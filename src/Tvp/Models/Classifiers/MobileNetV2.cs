using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tvp.Models.Classifiers;

/// <summary>
/// MobileNetV2 (Sandler et al. 2018) with torchvision's module layout and state-dict names
/// (<c>features.N...</c>, <c>classifier.1</c>). Convolutions carry no bias; each BatchNorm slot holds
/// the folded bias (weight 1, mean 0, var 1−eps) and runs in eval mode with eps 1e-5.
/// </summary>
internal sealed class MobileNetV2 : ClassifierNetwork
{
    private readonly Sequential features;
    private readonly Sequential classifier;

    public MobileNetV2(MobileNetV2Spec spec, int numClasses, PaddingRule padding) : base(nameof(MobileNetV2))
    {
        double alpha = spec.WidthMultiplier;
        long inChannels = MakeDivisible(32 * alpha);
        long lastChannels = MakeDivisible(1280 * Math.Max(1.0, alpha));
        var list = new List<(string, nn.Module<Tensor, Tensor>)> { ("0", ConvBnReLU6(3, inChannels, 3, 2, 1, padding)) };
        foreach (var (t, c, n, s) in spec.InvertedResidualSetting)
        {
            long outChannels = MakeDivisible(c * alpha);
            for (int i = 0; i < n; i++)
            {
                list.Add((list.Count.ToString(), new InvertedResidual(inChannels, outChannels, i == 0 ? s : 1, t, padding)));
                inChannels = outChannels;
            }
        }
        list.Add((list.Count.ToString(), ConvBnReLU6(inChannels, lastChannels, 1, 1, 1, padding)));
        features = nn.Sequential(list);
        classifier = nn.Sequential(("0", nn.Dropout(0.2)), ("1", nn.Linear(lastChannels, numClasses)));
        FeatureSize = lastChannels;
        RegisterComponents();
    }

    public override long FeatureSize { get; }

    public override Tensor Features(Tensor x)
    {
        using var clInput = ChannelsLast.Prepare(x, ChannelsLastUse.Always);
        if (clInput is not null) x = clInput;
        using var y = features.forward(x); // [B, 1280, H/32, W/32]
        return GlobalAveragePool(y);
    }

    public override Tensor Classify(Tensor f) => classifier.forward(f);

    /// <summary>torchvision's _make_divisible(v, 8): round to a multiple of 8, never more than 10% below v.</summary>
    internal static long MakeDivisible(double v, long divisor = 8)
    {
        long result = Math.Max(divisor, (long)(v + divisor / 2.0) / divisor * divisor);
        if (result < 0.9 * v) result += divisor;
        return result;
    }

    /// <summary>torchvision Conv2dNormActivation: <c>0</c> conv (no bias), <c>1</c> BatchNorm, then ReLU6.</summary>
    internal static ConvBnReLU6 ConvBnReLU6(long inChannels, long outChannels, long kernel, long stride, long groups, PaddingRule padding) =>
        new(new PaddedConv2d(inChannels, outChannels, kernel, stride, padding, groups), new FoldableBatchNorm2d(outChannels, eps: 1e-5));
}

/// <summary>
/// Convolution, BatchNorm (skipped once folded) and ReLU6, with torchvision's child names <c>0</c> and <c>1</c>.
/// Not a <c>Sequential</c>: once the BatchNorm is folded, the activation runs on the convolution's fresh output (in place without a graph).
/// </summary>
internal sealed class ConvBnReLU6 : nn.Module<Tensor, Tensor>
{
    private readonly PaddedConv2d _conv;
    private readonly FoldableBatchNorm2d _bn;

    public ConvBnReLU6(PaddedConv2d conv, FoldableBatchNorm2d bn) : base(nameof(ConvBnReLU6))
    {
        _conv = conv;
        _bn = bn;
        register_module("0", conv);
        register_module("1", bn);
    }

    /// <summary>The convolution (its weights hold the BatchNorm once folded).</summary>
    internal PaddedConv2d Conv => _conv;

    /// <summary>True once the BatchNorm lives in the convolution.</summary>
    internal bool Folded => _bn.Folded;

    public override Tensor forward(Tensor x)
    {
        if (_bn.Folded) return _conv.Forward(x, relu6: true); // ReLU6 on the convolution's fresh result (in place without a graph)
        using var raw = _conv.forward(x);
        using var y = _bn.forward(raw);
        return nn.functional.relu6(y);
    }
}

/// <summary>
/// torchvision InvertedResidual: <c>conv</c> = [expansion 1×1 (when t ≠ 1)], depthwise 3×3, projection 1×1
/// + BatchNorm (linear bottleneck); the input is added back when stride is 1 and the width is unchanged.
/// Once its BatchNorms are folded, with frozen float32 weights and a channels-last float32 input on a CPU with AVX-512,
/// the block runs as one fused kernel (<see cref="FusedInvertedResidual"/>, forward and input gradient); otherwise, or
/// with <c>TVP_FUSED_BLOCKS=0</c>, on libtorch's kernels layer by layer.
/// </summary>
internal sealed class InvertedResidual : nn.Module<Tensor, Tensor>
{
    private readonly Sequential conv;
    private readonly bool _residual;
    private readonly Layers _layers; // the same modules as in conv, held outside RegisterComponents' reach (no second registration)
    private readonly int _stride;
    private readonly PaddingRule _padding;
    private readonly object _packing = new();
    private InvertedResidualWeights? _packed;

    private sealed record Layers(ConvBnReLU6? Expansion, ConvBnReLU6 Depthwise, PaddedConv2d Projection, FoldableBatchNorm2d ProjectionNorm);

    public InvertedResidual(long inChannels, long outChannels, long stride, int expandRatio, PaddingRule padding) : base(nameof(InvertedResidual))
    {
        long hidden = (long)Math.Round(inChannels * (double)expandRatio);
        _residual = stride == 1 && inChannels == outChannels;
        var list = new List<(string, nn.Module<Tensor, Tensor>)>();
        var expansion = expandRatio != 1 ? MobileNetV2.ConvBnReLU6(inChannels, hidden, 1, 1, 1, padding) : null;
        var depthwise = MobileNetV2.ConvBnReLU6(hidden, hidden, 3, stride, hidden, padding);
        var projection = new PaddedConv2d(hidden, outChannels, 1, 1, padding);
        var projectionNorm = new FoldableBatchNorm2d(outChannels, eps: 1e-5);
        _layers = new Layers(expansion, depthwise, projection, projectionNorm);
        if (expansion is not null) list.Add(("0", expansion));
        list.Add((list.Count.ToString(), depthwise));
        list.Add((list.Count.ToString(), projection));
        list.Add((list.Count.ToString(), projectionNorm));
        _stride = (int)stride;
        _padding = padding;
        conv = nn.Sequential(list);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (Fusable(x)) return FusedInvertedResidual.Forward(Packed(), x, _stride, _padding, _residual);
        if (!_residual) return conv.forward(x);
        var y = conv.forward(x);
        if (is_grad_enabled() && (y.requires_grad || x.requires_grad)) { using (y) return x + y; }
        // Without a graph the input is added into the projection's fresh output: the same sums, no new buffer (MobileNet-V2
        // forward at batch 16, alternating in one process: 62.8 → 60.0 and 68.4 → 64.2 ms, medians of 30 rounds).
        return y.add_(x);
    }

    private bool Fusable(Tensor x) =>
        FusedInvertedResidual.Enabled && InvertedResidualKernel.Supported && (_stride is 1 or 2) && !parameters().Any(w => w.requires_grad)
        && x.dtype == ScalarType.Float32 && x.device_type == DeviceType.CPU && ChannelsLastTensor.Is(x)
        && (_layers.Expansion?.Folded ?? true) && _layers.Depthwise.Folded && _layers.ProjectionNorm.Folded;

    /// <summary>The folded weights packed for the kernel, once: they are frozen (<see cref="Fusable"/> checks that none requires a gradient).</summary>
    private InvertedResidualWeights Packed()
    {
        lock (_packing)
            return _packed ??= new(_layers.Expansion?.Conv.Weight, _layers.Expansion?.Conv.Bias,
                _layers.Depthwise.Conv.Weight, _layers.Depthwise.Conv.Bias, _layers.Projection.Weight, _layers.Projection.Bias);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) { _packed?.Dispose(); _packed = null; }
        base.Dispose(disposing);
    }
}
