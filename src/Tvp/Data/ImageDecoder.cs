using StbImageSharp;
using static TorchSharp.torch;

namespace Tvp.Data;

/// <summary>
/// Decodes JPEG, PNG, BMP (StbImageSharp) and binary PPM/PGM (P6/P5) into float tensors [3,H,W] in [0,1],
/// RGB order; grey images are expanded to 3 channels and alpha is dropped.
/// </summary>
public static class ImageDecoder
{
    /// <summary>Decodes an image file into [3,H,W] float32 in [0,1] (with <see cref="ImageReadOptions.Default"/>).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a decodable image, is truncated or declares too many pixels (message names the file).</exception>
    public static Tensor Load(string path) => Load(path, ImageReadOptions.Default);

    /// <summary>Decodes an image file into [3,H,W] float32 in [0,1].</summary>
    public static Tensor Load(string path, ImageReadOptions options)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"image not found: {path}", path);
        var (rgb, w, h) = LoadRgb(path, options);
        return ToTensor(rgb, w, h);
    }

    /// <summary>Decodes an image file into interleaved RGB bytes (H×W×3).</summary>
    public static (byte[] Rgb, int Width, int Height) LoadRgb(string path) => LoadRgb(path, ImageReadOptions.Default);

    /// <summary>Decodes an image file into interleaved RGB bytes (H×W×3).</summary>
    public static (byte[] Rgb, int Width, int Height) LoadRgb(string path, ImageReadOptions options)
    {
        byte[] bytes;
        try
        {
            using var s = IO.InputFile.OpenRead(path);
            if (s.Length > int.MaxValue) throw new InvalidDataException($"{path}: {s.Length} bytes is too large for an image file");
            bytes = new byte[s.Length];
            s.ReadExactly(bytes);
        }
        catch (IOException e) when (e is not FileNotFoundException) { throw new InvalidDataException($"{path}: cannot read image ({e.Message})", e); }
        return Decode(bytes, path, options);
    }

    /// <summary>Decodes encoded image bytes into interleaved RGB bytes (H×W×3); <paramref name="name"/> is used in errors.</summary>
    public static (byte[] Rgb, int Width, int Height) Decode(byte[] bytes, string name) => Decode(bytes, name, ImageReadOptions.Default);

    /// <summary>
    /// Decodes encoded image bytes into interleaved RGB bytes (H×W×3): the pixel count is checked from the header
    /// before decoding, and a truncated file is refused unless <see cref="ImageReadOptions.AllowTruncated"/>.
    /// </summary>
    public static (byte[] Rgb, int Width, int Height) Decode(byte[] bytes, string name, ImageReadOptions options)
    {
        if (bytes.Length >= 2 && bytes[0] == (byte)'P' && bytes[1] is (byte)'5' or (byte)'6')
            return Netpbm.Decode(bytes, name, options);
        if (ImageHeader.Read(bytes) is var (declaredWidth, declaredHeight)) options.CheckSize(name, declaredWidth, declaredHeight);
        // Truncation first: stb_image can loop forever on a JPEG that ends inside its headers.
        if (ImageTruncation.Check(bytes) is { } missing)
        {
            if (!options.AllowTruncated || missing.Contains("before its first scan", StringComparison.Ordinal))
                throw new InvalidDataException($"{name}: truncated image ({missing}){(options.AllowTruncated ? "" : "; pass --allow-truncated-images to decode it anyway")}");
            options.Warn?.Invoke($"warning: {name}: truncated image ({missing}); decoded anyway (--allow-truncated-images)");
            if (bytes[0] == 0xFF) bytes = [.. bytes, 0xFF, 0xD9]; // an end-of-image marker lets the JPEG decoder stop
        }
        ImageInfo? info;
        try { info = ImageInfo.FromStream(new MemoryStream(bytes, writable: false)); }
        catch (Exception e) { throw new InvalidDataException($"{name}: not a decodable image (JPEG, PNG, BMP or binary PPM/PGM expected): {Clean(e.Message)}", e); }
        if (info is not { } header)
            throw new InvalidDataException($"{name}: not a decodable image (JPEG, PNG, BMP or binary PPM/PGM expected)");
        options.CheckSize(name, header.Width, header.Height);
        try
        {
            var img = ImageResult.FromMemory(bytes, ColorComponents.RedGreenBlue);
            if (img.Width <= 0 || img.Height <= 0) throw new InvalidDataException($"{name}: empty image");
            options.CheckSize(name, img.Width, img.Height);
            return (img.Data, img.Width, img.Height);
        }
        catch (Exception e) when (e is not InvalidDataException)
        {
            throw new InvalidDataException($"{name}: not a decodable image (JPEG, PNG, BMP or binary PPM/PGM expected): {Clean(e.Message)}", e);
        }
    }

    /// <summary>A decoder message without control characters (stb_image can report a buffer of NUL bytes).</summary>
    private static string Clean(string message)
    {
        var s = new string(message.Where(c => !char.IsControl(c)).ToArray()).Trim();
        return s.Length > 0 ? s : "corrupt data";
    }

    /// <summary>Interleaved RGB bytes → [3,H,W] float32 in [0,1].</summary>
    public static Tensor ToTensor(byte[] rgb, int width, int height)
    {
        using var scope = NewDisposeScope();
        var t = tensor(rgb, new long[] { height, width, 3 }, ScalarType.Byte)
            .permute(2, 0, 1).to_type(ScalarType.Float32).div_(255f).contiguous();
        return t.MoveToOuterDisposeScope();
    }
}
