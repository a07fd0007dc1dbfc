using Tvp.Models;
using Tvp.Models.Classifiers;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Classifiers;

/// <summary>
/// <see cref="PaddedConv2d"/> under TF "SAME" padding against the definition: zero-pad by
/// <see cref="ConvPadding.Amounts"/> (extra row/column bottom/right), then an unpadded convolution. Covers the depthwise
/// shortcut (a shifted (k+1)×(k+1) kernel instead of a padded copy) on even and odd sizes, strides 1 and 2, kernels 3
/// and 5, NCHW and channels-last, outputs and input gradients.
/// </summary>
public sealed class PaddedConv2dTests
{
    public static TheoryData<int, int, int, int, bool> Cases()
    {
        var data = new TheoryData<int, int, int, int, bool>();
        foreach (var (size, kernel, stride, groupsIsChannels) in new[] { (16, 3, 2, true), (15, 3, 2, true), (12, 5, 2, true), (9, 5, 2, true), (14, 3, 1, true), (16, 3, 2, false), (13, 4, 2, true) })
            foreach (var channelsLast in new[] { false, true })
                data.Add(size, kernel, stride, groupsIsChannels ? 1 : 0, channelsLast);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesExplicitSamePadding(int size, int kernel, int stride, int depthwise, bool channelsLast)
    {
        using var scope = NewDisposeScope();
        const long channels = 6;
        long groups = depthwise == 1 ? channels : 1;
        var conv = new PaddedConv2d(channels, channels, kernel, stride, PaddingRule.TfSame, groups);
        var g = new Generator(7);
        var weight = randn(new long[] { channels, channels / groups, kernel, kernel }, generator: g);
        using (no_grad()) conv.parameters().First().copy_(weight);
        var input = randn(new long[] { 2, channels, size, size + 2 }, generator: g); // height and width differ, same parity: both paddings checked
        var upstream = randn(conv.forward(input).shape, generator: g);

        (Tensor Output, Tensor Gradient) Run(bool explicitPadding)
        {
            var x = input.clone().requires_grad_(true);
            var fed = channelsLast ? ChannelsLastTensor.Of(x) : x;
            Tensor y;
            if (explicitPadding)
            {
                var (top, bottom) = ConvPadding.Amounts(PaddingRule.TfSame, size, kernel, stride);
                var (left, right) = ConvPadding.Amounts(PaddingRule.TfSame, size + 2, kernel, stride);
                y = nn.functional.conv2d(nn.functional.pad(fed, new[] { left, right, top, bottom }), weight, strides: new long[] { stride, stride }, groups: groups);
            }
            else y = conv.forward(fed);
            (y * upstream).sum().backward();
            return (y.detach(), x.grad!);
        }

        var (expected, expectedGradient) = Run(explicitPadding: true);
        var (actual, actualGradient) = Run(explicitPadding: false);
        Assert.Equal(expected.shape, actual.shape);
        double scale = expected.abs().max().item<float>(), gradientScale = expectedGradient.abs().max().item<float>();
        Assert.True((actual - expected).abs().max().item<float>() <= 1e-5 * scale, $"outputs differ: {(actual - expected).abs().max().item<float>():E2} (scale {scale:E2})");
        Assert.True((actualGradient - expectedGradient).abs().max().item<float>() <= 1e-5 * gradientScale,
            $"input gradients differ: {(actualGradient - expectedGradient).abs().max().item<float>():E2} (scale {gradientScale:E2})");
    }
}
