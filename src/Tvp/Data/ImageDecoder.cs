using StbImageSharp;
using static TorchSharp.torch;

namespace Tvp.Data;

/// <summary>
/// Decodes JPEG, PNG, BMP (StbImageSharp) and binary PPM/PGM (P6/P5) into float tensors [3,H,W] in [0,1],
/// RGB order; grey images are expanded to 3 channels and alpha is dropped.
/// </summary>
public static class ImageDecoder
{
    /// <summary>Decodes an image file into [3,H,W] float32 in [0,1].</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a decodable image (message names the file).</exception>
    public static Tensor Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"image not found: {path}", path);
        var (rgb, w, h) = LoadRgb(path);
        return ToTensor(rgb, w, h);
    }

    /// <summary>Decodes an image file into interleaved RGB bytes (H×W×3).</summary>
    public static (byte[] Rgb, int Width, int Height) LoadRgb(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (IOException e) { throw new InvalidDataException($"{path}: cannot read image ({e.Message})", e); }
        return Decode(bytes, path);
    }

    /// <summary>Decodes encoded image bytes into interleaved RGB bytes (H×W×3); <paramref name="name"/> is used in errors.</summary>
    public static (byte[] Rgb, int Width, int Height) Decode(byte[] bytes, string name)
    {
        if (bytes.Length >= 2 && bytes[0] == (byte)'P' && bytes[1] is (byte)'5' or (byte)'6')
            return Netpbm.Decode(bytes, name);
        try
        {
            var img = ImageResult.FromMemory(bytes, ColorComponents.RedGreenBlue);
            if (img.Width <= 0 || img.Height <= 0) throw new InvalidDataException($"{name}: empty image");
            return (img.Data, img.Width, img.Height);
        }
        catch (Exception e) when (e is not InvalidDataException)
        {
            throw new InvalidDataException($"{name}: not a decodable image (JPEG, PNG, BMP or binary PPM/PGM expected): {e.Message}", e);
        }
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
