namespace Tvp.Server;

/// <summary>Request limits shared by <c>tvp serve</c> and <c>tvp proxy</c>; every one is configurable on the command line.</summary>
/// <param name="MaxBodyBytes">Largest request body accepted (413 above it).</param>
/// <param name="MaxImageBytes">Largest encoded image (after base64 decoding) accepted.</param>
/// <param name="MaxImagePixels">Largest width×height accepted, read from the image header before decoding (decompression bombs).</param>
/// <param name="MaxImagesPerRequest">Most images one request may carry.</param>
public sealed record ServerLimits(
    long MaxBodyBytes = ServerLimits.DefaultMaxBodyBytes,
    long MaxImageBytes = ServerLimits.DefaultMaxImageBytes,
    long MaxImagePixels = ServerLimits.DefaultMaxImagePixels,
    int MaxImagesPerRequest = ServerLimits.DefaultMaxImagesPerRequest)
{
    /// <summary>Default body limit: 32 MiB.</summary>
    public const long DefaultMaxBodyBytes = 32L << 20;
    /// <summary>Default encoded-image limit: 16 MiB.</summary>
    public const long DefaultMaxImageBytes = 16L << 20;
    /// <summary>Default pixel limit: 40 megapixels.</summary>
    public const long DefaultMaxImagePixels = 40_000_000;
    /// <summary>Default number of images per request.</summary>
    public const int DefaultMaxImagesPerRequest = 8;

    /// <summary>Throws <see cref="ArgumentException"/> naming the flag when a limit is not positive.</summary>
    public void Validate()
    {
        if (MaxBodyBytes < 1) throw new ArgumentException("--max-body-bytes must be at least 1");
        if (MaxImageBytes < 1) throw new ArgumentException("--max-image-bytes must be at least 1");
        if (MaxImagePixels < 1) throw new ArgumentException("--max-image-pixels must be at least 1");
        if (MaxImagesPerRequest < 0) throw new ArgumentException("--max-images must be 0 or more");
    }
}
