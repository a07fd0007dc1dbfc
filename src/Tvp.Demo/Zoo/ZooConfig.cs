using System.Globalization;
using Tvp.Models;
using Tvp.Experiments;

namespace Tvp.Demo.Zoo;

/// <summary>
/// How a zoo is built: canvas and inner image size (the demo's image pipeline), the shared encoder's input
/// resolution, how many clean training images train the heads, the CNN and the offline guide, and the seed.
/// Its <see cref="Key"/> names the cache folder, so a changed setting trains a new zoo instead of reusing one.
/// </summary>
/// <param name="CanvasSize">Canvas side (the prompt's space).</param>
/// <param name="ImageSize">Inner image side on the canvas.</param>
/// <param name="Resolution">Shared encoder input side.</param>
/// <param name="TrainImages">Clean training images for heads, CNN and guide.</param>
/// <param name="Seed">Seed for sampling and initialisation.</param>
public sealed record ZooConfig(int CanvasSize = 64, int ImageSize = 48, int Resolution = 64, int TrainImages = 6000, int Seed = 42)
{
    /// <summary>Cache key, e.g. <c>c64-i48-r64-n6000-s42</c>.</summary>
    public string Key => string.Create(CultureInfo.InvariantCulture, $"c{CanvasSize}-i{ImageSize}-r{Resolution}-n{TrainImages}-s{Seed}");

    /// <summary>The zoo's cache folder: <c>&lt;cache&gt;/demo/zoo-&lt;key&gt;</c>.</summary>
    public string Folder(string? cacheRoot = null) => Path.Combine(cacheRoot ?? ModelRegistry.CacheFolder(), "demo", $"zoo-{Key}");

    /// <summary>Checks ranges.</summary>
    public void Validate()
    {
        if (ImageSize <= 0 || ImageSize > CanvasSize) throw new ArgumentException($"zoo: image size {ImageSize} must be in 1..{CanvasSize}");
        if (Resolution < 32 || Resolution % 32 != 0) throw new ArgumentException($"zoo: encoder resolution must be a multiple of 32 (the CNTK ResNet-18 pads for those), got {Resolution}");
        if (TrainImages < 100) throw new ArgumentException($"zoo: at least 100 training images, got {TrainImages}");
    }
}
