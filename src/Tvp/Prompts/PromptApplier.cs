using Tvp.Data;
using static TorchSharp.torch;

namespace Tvp.Prompts;

/// <summary>
/// Puts a learned prompt on images exactly as <c>tvp apply</c> writes them: decode, resize the shorter side to
/// the prompt's image size and centre-crop (evaluation pipeline), place on the canvas, add the prompt, clamp to
/// [0,1], encode PNG. One implementation for the CLI, the proxy and the server, so they agree pixel for pixel.
/// Thread-safe: the prompt tensors are only read.
/// </summary>
public sealed class PromptApplier : IDisposable
{
    private readonly VisualPrompt _prompt;
    private readonly CanvasPipeline _pipeline;

    /// <summary>What the prompt file records (canvas size, image size, shape, ...).</summary>
    public PromptMetadata Metadata { get; }

    private PromptApplier(VisualPrompt prompt, PromptMetadata meta)
    {
        _prompt = prompt;
        Metadata = meta;
        _pipeline = new CanvasPipeline(meta.CanvasSize, meta.ImageSize);
    }

    /// <summary>Loads a prompt file (<c>prompt.safetensors</c>).</summary>
    /// <exception cref="InvalidDataException">Not a prompt file (the message names it).</exception>
    public static PromptApplier Load(string promptFile)
    {
        var (vp, meta) = PromptFile.Load(promptFile);
        return new PromptApplier(vp, meta);
    }

    /// <summary>The prompted canvas [3,S,S] in [0,1] for a decoded image [3,h,w] in [0,1].</summary>
    public Tensor Apply(Tensor image)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var canvas = _pipeline.ToCanvas(new[] { image }, training: false);   // [1, 3, S, S]
        return _prompt.Apply(canvas)[0].clamp(0f, 1f).MoveToOuterDisposeScope();
    }

    /// <summary>The prompted canvas [3,S,S] in [0,1] for encoded image bytes (JPEG, PNG, BMP, PPM/PGM); <paramref name="name"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a decodable image.</exception>
    public Tensor ApplyEncoded(byte[] encoded, string name)
    {
        var (rgb, w, h) = ImageDecoder.Decode(encoded, name);
        using var image = ImageDecoder.ToTensor(rgb, w, h);
        return Apply(image);
    }

    /// <summary>The prompted canvas of encoded image bytes as a PNG file's bytes (what <c>tvp apply</c> writes).</summary>
    public byte[] ApplyToPng(byte[] encoded, string name)
    {
        using var prompted = ApplyEncoded(encoded, name);
        return PromptFile.EncodePng(prompted);
    }

    /// <summary>Writes the prompted canvas of the image file <paramref name="imageFile"/> to <paramref name="pngFile"/> (atomically).</summary>
    public void ApplyFile(string imageFile, string pngFile)
    {
        using var image = ImageDecoder.Load(imageFile);
        using var prompted = Apply(image);
        PromptFile.WritePng(pngFile, prompted);
    }

    /// <inheritdoc/>
    public void Dispose() => _prompt.Dispose();
}
