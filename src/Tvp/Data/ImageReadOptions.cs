namespace Tvp.Data;

/// <summary>
/// How images are read: a pixel-count bound checked from the header before any pixel is decoded
/// (<c>--max-image-pixels</c>; a decompression bomb declares far more pixels than its file size suggests), and
/// whether truncated files are decoded with a warning (<c>--allow-truncated-images</c>) instead of refused.
/// </summary>
/// <param name="MaxPixels">Most pixels (width × height) one image may declare.</param>
/// <param name="AllowTruncated">Decode truncated files (the missing part is filled by the decoder) with a warning.</param>
/// <param name="Warn">Where warnings go (null: nowhere).</param>
public sealed record ImageReadOptions(long MaxPixels = IO.Limits.DefaultMaxImagePixels, bool AllowTruncated = false, Action<string>? Warn = null)
{
    /// <summary>
    /// The options used by <see cref="ImageDecoder.Load(string)"/> in this call flow; the CLI sets them from its flags.
    /// Async-local: a command's flags reach the tasks and threads it starts, never a command running concurrently in the
    /// same process (an in-process test of <c>--max-image-pixels 10</c> once made a parallel test refuse 32×32 images).
    /// </summary>
    public static ImageReadOptions Default
    {
        get => FlowDefault.Value ?? Fallback;
        set => FlowDefault.Value = value;
    }

    private static readonly ImageReadOptions Fallback = new();
    private static readonly AsyncLocal<ImageReadOptions?> FlowDefault = new();

    /// <summary>Refuses <paramref name="width"/> × <paramref name="height"/> outside 1..<see cref="MaxPixels"/> (named after <paramref name="name"/>).</summary>
    public void CheckSize(string name, long width, long height)
    {
        if (width <= 0 || height <= 0)
            throw new InvalidDataException($"{name}: image header declares {width}x{height} pixels");
        if (width * height > MaxPixels)
            throw new InvalidDataException($"{name}: image header declares {width}x{height} = {width * height} pixels, above the limit of {MaxPixels} (--max-image-pixels)");
    }
}
