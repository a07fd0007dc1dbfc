using System.CommandLine;
using Tvp.Data;
using Tvp.IO;

namespace Tvp.Cli;

/// <summary>
/// The image-reading flags of every command that decodes image files (<see cref="ImageReadOptions"/>):
/// <c>--max-image-pixels</c> and <c>--allow-truncated-images</c>. The one place that maps them to the decoder.
/// </summary>
internal sealed class ImageReadFlags
{
    public Option<long> MaxImagePixels { get; } = new("--max-image-pixels")
    {
        Description = "Refuse images whose header declares more pixels than this (decompression bombs).",
        DefaultValueFactory = _ => Limits.DefaultMaxImagePixels,
    };
    public Option<bool> AllowTruncatedImages { get; } = new("--allow-truncated-images")
    {
        Description = "Decode truncated image files with a warning instead of refusing them.",
    };

    public void AddTo(Command cmd)
    {
        cmd.Options.Add(MaxImagePixels);
        cmd.Options.Add(AllowTruncatedImages);
    }

    /// <summary>The flags' values (<c>--max-image-pixels</c> checked here); defaults where the command lacks a flag.</summary>
    public ImageReadOptions Bind(ParseResult r)
    {
        long max = r.GetResult(MaxImagePixels) is null ? Limits.DefaultMaxImagePixels : r.GetValue(MaxImagePixels);
        if (max <= 0) throw new ArgumentException($"--max-image-pixels must be positive, got {max}");
        bool truncated = r.GetResult(AllowTruncatedImages) is not null && r.GetValue(AllowTruncatedImages);
        return new ImageReadOptions(max, truncated, CliContext.Err.WriteLine);
    }

    /// <summary>Makes the flags' options the decoder's defaults for the command's body (images are decoded deep inside
    /// datasets and models); the previous defaults come back on dispose.</summary>
    public IDisposable Use(ParseResult r)
    {
        var previous = ImageReadOptions.Default;
        ImageReadOptions.Default = Bind(r);
        return new Restore(previous);
    }

    private sealed class Restore(ImageReadOptions previous) : IDisposable
    {
        public void Dispose() => ImageReadOptions.Default = previous;
    }
}
