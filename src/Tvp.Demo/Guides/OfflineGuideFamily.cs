using Tvp.Demo.Zoo;
using static TorchSharp.torch;
using Tvp.Models;
using Tvp.Experiments;

namespace Tvp.Demo.Guides;

/// <summary>
/// <c>--guide offline</c>: the offline guide built by <c>tvp demo</c> (default zoo settings, in the user cache),
/// or <c>--guide path/to/offline-guide.safetensors</c> (or its folder) for another one.
/// </summary>
internal sealed class OfflineGuideFamily(SharedEncoders encoders) : IGuideFamily
{
    /// <inheritdoc />
    public string Name => "offline";

    /// <inheritdoc />
    public bool CanLoad(string path)
    {
        if (path == "offline") return true;
        var file = Directory.Exists(path) ? Path.Combine(path, OfflineGuide.FileName) : path;
        if (!File.Exists(file) || !file.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)) return false;
        try { return new IO.SafeTensorFile(file).Metadata.TryGetValue("format", out var f) && f == OfflineGuide.Format; }
        catch (InvalidDataException) { return false; }
    }

    /// <inheritdoc />
    public IImageTextGuide Load(string path, Device device)
    {
        if (path != "offline") return OfflineGuide.Load(path, device, encoders);
        var file = Path.Combine(new ZooConfig().Folder(), OfflineGuide.FileName);
        if (!File.Exists(file))
            throw new FileNotFoundException($"--guide offline: no offline guide at {file}; run `tvp demo` once to build it (it trains the zoo and the guide on Fashion-MNIST)", file);
        return OfflineGuide.Load(file, device, encoders);
    }
}
