using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tvp.Models.Classifiers;

/// <summary>
/// ResNet for CIFAR (He et al. 2016, §4.2) as in akamaster/pytorch_resnet_cifar10: a 3×3 stem, three
/// stages of <see cref="CifarBasicBlock"/>s with option-A shortcuts, global average pool, <c>linear</c>.
/// State-dict names: conv1, bn1, layer{1,2,3}.{b}.*, linear.
/// </summary>
internal sealed class CifarResNet : ClassifierNetwork
{
    private readonly PaddedConv2d conv1;
    private readonly FoldableBatchNorm2d bn1;
    private readonly Sequential layer1, layer2, layer3;
    private readonly Linear linear;

    public CifarResNet(CifarResNetSpec spec, int numClasses, PaddingRule padding) : base(nameof(CifarResNet))
    {
        if (spec.StageChannels.Count != 3 || spec.StageStrides.Count != 3)
            throw new ArgumentException("CIFAR ResNet needs exactly 3 stages");
        long inPlanes = spec.StageChannels[0];
        conv1 = new PaddedConv2d(3, inPlanes, 3, 1, padding);
        bn1 = new FoldableBatchNorm2d(inPlanes, eps: 1e-5);
        var stages = new Sequential[3];
        for (int s = 0; s < 3; s++)
        {
            var blocks = new List<(string, nn.Module<Tensor, Tensor>)>();
            for (int b = 0; b < spec.BlocksPerStage; b++)
            {
                long stride = b == 0 ? spec.StageStrides[s] : 1;
                blocks.Add((b.ToString(), new CifarBasicBlock(inPlanes, spec.StageChannels[s], stride, padding)));
                inPlanes = spec.StageChannels[s];
            }
            stages[s] = nn.Sequential(blocks);
        }
        (layer1, layer2, layer3) = (stages[0], stages[1], stages[2]);
        linear = nn.Linear(inPlanes, numClasses);
        FeatureSize = inPlanes;
        RegisterComponents();
    }

    public override long FeatureSize { get; }

    public override Tensor Features(Tensor x)
    {
        using var scope = NewDisposeScope();
        x = ChannelsLast.Prepare(x, ChannelsLastUse.Inference) ?? x;
        var y = bn1.Apply(conv1.forward(x)).relu_();
        y = layer3.forward(layer2.forward(layer1.forward(y))); // [B, 64, H/4, W/4]
        return GlobalAveragePool(y).MoveToOuterDisposeScope();
    }

    public override Tensor Classify(Tensor features) => linear.forward(features);

    /// <inheritdoc/>
    public override void FoldBatchNorms()
    {
        bn1.FoldInto(conv1);
        foreach (var stage in new[] { layer1, layer2, layer3 })
            foreach (var (_, block) in stage.named_children()) ((CifarBasicBlock)block).FoldBatchNorms();
    }
}

/// <summary>
/// BasicBlock: out = ReLU(bn2(conv2(ReLU(bn1(conv1(x))))) + shortcut(x)). Option-A shortcut where the
/// stride or width changes: keep even rows and columns, then zero-pad planes/4 channels on each side.
/// </summary>
internal sealed class CifarBasicBlock : nn.Module<Tensor, Tensor>
{
    private readonly PaddedConv2d conv1, conv2;
    private readonly FoldableBatchNorm2d bn1, bn2;
    private readonly bool _optionA;
    private readonly long _padChannels;

    public CifarBasicBlock(long inPlanes, long planes, long stride, PaddingRule padding) : base(nameof(CifarBasicBlock))
    {
        conv1 = new PaddedConv2d(inPlanes, planes, 3, stride, padding);
        bn1 = new FoldableBatchNorm2d(planes, eps: 1e-5);
        conv2 = new PaddedConv2d(planes, planes, 3, 1, padding);
        bn2 = new FoldableBatchNorm2d(planes, eps: 1e-5);
        _optionA = stride != 1 || inPlanes != planes;
        _padChannels = planes / 4;
        if (_optionA && inPlanes + 2 * _padChannels != planes)
            throw new ArgumentException($"option-A shortcut cannot map {inPlanes} to {planes} channels");
        RegisterComponents();
    }

    /// <summary>Folds both BatchNorms into their convolutions.</summary>
    public void FoldBatchNorms()
    {
        bn1.FoldInto(conv1);
        bn2.FoldInto(conv2);
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = bn1.Apply(conv1.forward(x)).relu_();
        y = bn2.Apply(conv2.forward(y));
        var shortcut = x;
        if (_optionA)
        {
            var even = x[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(0, null, 2), TensorIndex.Slice(0, null, 2)]; // [B, in, ceil(H/2), ceil(W/2)]
            shortcut = nn.functional.pad(even, new long[] { 0, 0, 0, 0, _padChannels, _padChannels }); // [B, planes, H', W']
        }
        return y.add_(shortcut).relu_().MoveToOuterDisposeScope();
    }
}
