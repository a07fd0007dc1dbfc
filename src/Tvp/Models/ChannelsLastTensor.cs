using static TorchSharp.torch;

namespace Tvp.Models;

/// <summary>
/// Channels-last ([N, H, W, C] in memory) views of [N, C, H, W] tensors. TorchSharp has no memory-format argument, so the
/// layout is made by permute + contiguous + permute back; libtorch's oneDNN convolutions and element-wise kernels keep it.
/// Used by the classifiers and the ONNX importer.
/// </summary>
internal static class ChannelsLastTensor
{
    /// <summary>True when <paramref name="x"/> is 4-D with dense NHWC strides (channels innermost).</summary>
    public static bool Is(Tensor x)
    {
        if (x.dim() != 4) return false;
        long c = x.shape[1], h = x.shape[2], w = x.shape[3];
        var s = x.stride();
        return s[1] == 1 && s[3] == c && s[2] == c * w && s[0] == c * w * h;
    }

    /// <summary>A channels-last copy of a 4-D tensor (same shape and values, NHWC strides).</summary>
    public static Tensor Of(Tensor x)
    {
        if (x.dim() != 4) throw new ArgumentException($"channels-last needs a 4-D tensor, got [{string.Join(",", x.shape)}]", nameof(x));
        using var nhwc = x.permute(0, 2, 3, 1);     // [N, H, W, C] view
        using var dense = nhwc.contiguous();         // [N, H, W, C] in memory
        return dense.permute(0, 3, 1, 2);            // [N, C, H, W] view with NHWC strides
    }
}
