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
/// Measured on the 2-core AMD EPYC (issue 12; <c>bench layouts</c>, best of 5, batch 16, nothing else running): every
/// built-in classifier is faster channels-last forward (MobileNet-V2 +43 %, V1 0.75/192 +25 %, ResNet-20 +12 %);
/// back-propagating, MobileNet-V1 gained (+16–20 %) but MobileNet-V2 lost 19 % and ResNet-20 was within noise. All
/// networks use it for inference only: on that VM oneDNN's channels-last backward-data kernels gave wrong input
/// gradients for some shapes (README, "Known problem"), and a prompt's gradient must never depend on such a kernel.
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
