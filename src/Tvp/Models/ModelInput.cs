using TorchSharp;
using static TorchSharp.torch;

namespace Tvp.Models;

/// <summary>
/// The model-side half of the image pipeline: a prompted canvas in raw pixel space ([0,1], any size) is
/// resized differentiably to the model's input size and normalised with the model's mean/std.
/// </summary>
public static class ModelInput
{
    /// <summary>Resizes (when the model has a fixed input size) and normalises a [B,3,H,W] canvas.</summary>
    public static Tensor Prepare(Tensor canvas, ModelInfo info)
    {
        if (canvas.dim() != 4 || canvas.shape[1] != 3)
            throw new ArgumentException($"{info.Name}: expected pixels [B,3,H,W], got [{string.Join(",", canvas.shape)}]");
        var x = Resize(canvas, info.InputSize, info.Interpolation);
        using var mean = tensor(info.Mean, dtype: x.dtype, device: x.device).view(1, 3, 1, 1);
        using var std = tensor(info.Std, dtype: x.dtype, device: x.device).view(1, 3, 1, 1);
        var y = (x - mean) / std;
        if (!ReferenceEquals(x, canvas)) x.Dispose();
        return y;
    }

    /// <summary>Differentiable square resize; returns the input itself when it already has that size or size is null.</summary>
    public static Tensor Resize(Tensor canvas, int? size, string interpolation = "bilinear")
    {
        if (size is null || (canvas.shape[2] == size && canvas.shape[3] == size)) return canvas;
        var mode = interpolation switch
        {
            "bicubic" => InterpolationMode.Bicubic,
            "nearest" => InterpolationMode.Nearest,
            "area" => InterpolationMode.Area,
            _ => InterpolationMode.Bilinear,
        };
        bool down = canvas.shape[2] > size;
        return nn.functional.interpolate(canvas, size: new long[] { size.Value, size.Value }, mode: mode,
            align_corners: mode is InterpolationMode.Bilinear or InterpolationMode.Bicubic ? false : null,
            antialias: down && mode is InterpolationMode.Bilinear or InterpolationMode.Bicubic);
    }
}
