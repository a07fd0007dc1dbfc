using static TorchSharp.torch;

namespace Tvp.Models;

/// <summary>Parses <c>--device</c> values: cpu, cuda, cuda:N.</summary>
public static class TorchDevice
{
    /// <summary>The device, or an ArgumentException when it is unknown or not available.</summary>
    public static Device Parse(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        if (t == "cpu") return CPU;
        if (t == "cuda" || t.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!cuda.is_available())
                throw new ArgumentException($"--device {text}: CUDA is not available in this build/machine (the default package is libtorch CPU)");
            return t == "cuda" ? CUDA : new Device(TorchSharp.DeviceType.CUDA, int.Parse(t[5..], System.Globalization.CultureInfo.InvariantCulture));
        }
        throw new ArgumentException($"unknown device '{text}' (cpu, cuda, cuda:N)");
    }
}
