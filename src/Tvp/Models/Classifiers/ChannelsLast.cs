using static TorchSharp.torch;

namespace Tvp.Models.Classifiers;

/// <summary>When a classifier runs its activations channels-last ([B, H, W, C] in memory).</summary>
internal enum ChannelsLastUse
{
    /// <summary>Never (NCHW throughout).</summary>
    Never,
    /// <summary>Only when no gradient is recorded (evaluation, label mapping, clean features).</summary>
    Inference,
    /// <summary>Always.</summary>
    Always,
}

/// <summary>
/// When each classifier runs channels-last (<see cref="ChannelsLastTensor"/>).
/// Measured on the 2-core AMD EPYC (issue 12; <c>bench layouts</c>, best of 5–7, batch 16, nothing else running): every
/// built-in classifier is faster channels-last forward (MobileNet-V2 +35–43 %, V1 0.75/192 +25 %, ResNet-20 +12–15 %).
/// Back-propagating, the MobileNets gain too (V2 +25 %, V1 +19 %, once ReLU6 stopped working in place on views of the
/// 1×1 GEMM's output, which had cost V2 a CopySlices per block), so they run channels-last always; ResNet-20 was within
/// noise (+5 %) and keeps NCHW for its backward. <c>bench conv-grad</c> checks oneDNN's float32 outputs and input
/// gradients against float64 in both layouts: on the build VM the input gradients of two NCHW shapes are wrong (3→4 and
/// 96→24, 3×3) and so are the outputs of some channels-last 1×1 convolutions (which the classifiers run as GEMMs); the
/// MobileNets' own convolution shapes (first convolution, every depthwise one) are right in both layouts; <c>ClassifierGradientReferenceTests</c> pins it
/// for the shipped networks as they run.
/// <c>TVP_CHANNELS_LAST=0</c> turns it off everywhere (for comparisons).
/// </summary>
internal static class ChannelsLast
{
    /// <summary>False when <c>TVP_CHANNELS_LAST=0</c>; settable for benchmarks.</summary>
    public static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("TVP_CHANNELS_LAST") != "0";

    /// <summary>When set, replaces every network's own <see cref="ChannelsLastUse"/> (benchmarks compare layouts with it).</summary>
    public static ChannelsLastUse? Override { get; set; }

    /// <summary>
    /// <paramref name="x"/> in the layout <paramref name="use"/> asks for now, or null when it already is (the caller
    /// disposes a non-null result).
    /// </summary>
    public static Tensor? Prepare(Tensor x, ChannelsLastUse use)
    {
        use = Override ?? use;
        bool wanted = Enabled && (use == ChannelsLastUse.Always || (use == ChannelsLastUse.Inference && !(is_grad_enabled() && x.requires_grad)));
        return wanted && !ChannelsLastTensor.Is(x) ? ChannelsLastTensor.Of(x) : null;
    }
}
