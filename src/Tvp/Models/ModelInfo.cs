using static TorchSharp.torch;

namespace Tvp.Models;

/// <summary>How a model wants its input: size, normalisation, interpolation. Lives with the model, as in timm.</summary>
/// <param name="Name">Short name (registry name or folder name).</param>
/// <param name="Family">Model family (classifier, clip, llava, onnx, ...).</param>
/// <param name="InputSize">Square input size in pixels, or null when the model takes any size (the canvas is used as is).</param>
/// <param name="Mean">Per-channel mean subtracted after scaling to [0,1].</param>
/// <param name="Std">Per-channel standard deviation divided by.</param>
/// <param name="Interpolation">Resize mode for the prompted canvas: "bilinear" or "bicubic".</param>
public sealed record ModelInfo(string Name, string Family, int? InputSize, float[] Mean, float[] Std, string Interpolation = "bilinear")
{
    /// <summary>ImageNet mean.</summary>
    public static readonly float[] ImageNetMean = { 0.485f, 0.456f, 0.406f };
    /// <summary>ImageNet standard deviation.</summary>
    public static readonly float[] ImageNetStd = { 0.229f, 0.224f, 0.225f };
    /// <summary>CLIP mean.</summary>
    public static readonly float[] ClipMean = { 0.48145466f, 0.4578275f, 0.40821073f };
    /// <summary>CLIP standard deviation.</summary>
    public static readonly float[] ClipStd = { 0.26862954f, 0.26130258f, 0.27577711f };
    /// <summary>Inception-style normalisation to [-1,1].</summary>
    public static readonly float[] HalfMeanStd = { 0.5f, 0.5f, 0.5f };
}
