using System.Globalization;
using StbImageWriteSharp;
using TorchSharp;
using Tvp.IO;
using static TorchSharp.torch;

namespace Tvp.Prompts;

/// <summary>What a prompt file records besides the tensors.</summary>
/// <param name="Shape">Prompt shape.</param>
/// <param name="CanvasSize">Canvas side.</param>
/// <param name="ImageSize">Inner image side.</param>
/// <param name="PromptSize">Prompt size p.</param>
/// <param name="SourceModel">The model it was trained on.</param>
/// <param name="Dataset">The dataset it was trained on.</param>
/// <param name="Fca">λ_fca used.</param>
/// <param name="Tse">λ_tse used.</param>
public sealed record PromptMetadata(PromptShape Shape, int CanvasSize, int ImageSize, int PromptSize,
    string SourceModel = "", string Dataset = "", double Fca = 0, double Tse = 0);

/// <summary>
/// Prompt files: safetensors with <c>prompt</c> [3,H,W], <c>mask</c> [1,H,W] and <c>__metadata__</c>
/// (canvas size, inner size, shape, source model, dataset, objective weights, version), plus a PNG preview.
/// </summary>
public static class PromptFile
{
    /// <summary>Writes <paramref name="path"/> (atomically) and a PNG preview beside it (same name, .png).</summary>
    public static void Save(string path, VisualPrompt prompt, PromptMetadata meta)
    {
        using var values = prompt.Values();
        using var mask = prompt.Mask.detach().cpu();
        var md = new Dictionary<string, string>
        {
            ["format"] = "tvp-prompt",
            ["version"] = TvpVersion.Value,
            ["shape"] = meta.Shape.Name(),
            ["canvas_size"] = meta.CanvasSize.ToString(CultureInfo.InvariantCulture),
            ["image_size"] = meta.ImageSize.ToString(CultureInfo.InvariantCulture),
            ["prompt_size"] = meta.PromptSize.ToString(CultureInfo.InvariantCulture),
            ["source_model"] = meta.SourceModel,
            ["dataset"] = meta.Dataset,
            ["lambda_fca"] = meta.Fca.ToString("R", CultureInfo.InvariantCulture),
            ["lambda_tse"] = meta.Tse.ToString("R", CultureInfo.InvariantCulture),
        };
        SafeTensorFile.Write(path, new Dictionary<string, Tensor> { ["prompt"] = values, ["mask"] = mask }, md);
        WritePreview(Path.ChangeExtension(path, ".png"), values, mask);
    }

    /// <summary>
    /// Loads a prompt file. When <paramref name="canvasSize"/> is given and differs from the file's, the prompt
    /// and mask are resized (bilinear; mask re-binarised) and <paramref name="warn"/> is told.
    /// </summary>
    /// <exception cref="InvalidDataException">Not a prompt file, or tensors of the wrong shape (names the file).</exception>
    public static (VisualPrompt Prompt, PromptMetadata Meta) Load(string path, Device? device = null, int? canvasSize = null, Action<string>? warn = null)
    {
        InputFile.RequireRegular(path); // a FIFO would block forever
        var f = new SafeTensorFile(path);
        if (!f.Contains("prompt")) throw new InvalidDataException($"{path}: not a prompt file (no 'prompt' tensor)");
        var e = f.Entries["prompt"];
        if (e.Shape.Length != 3 || e.Shape[0] != 3 || e.Shape[1] != e.Shape[2])
            throw new InvalidDataException($"{path}: 'prompt' has shape [{string.Join(",", e.Shape)}], expected [3,S,S]");
        long s = e.Shape[1];
        Limits.Positive(path, "prompt (canvas side)", s, Limits.Current.MaxCanvasSize);
        if (f.Contains("mask"))
        {
            var m = f.Entries["mask"].Shape;
            if (m.Length != 3 || (m[0] != 1 && m[0] != 3) || m[1] != s || m[2] != s)
                throw new InvalidDataException($"{path}: 'mask' has shape [{string.Join(",", m)}], expected [1,{s},{s}] or [3,{s},{s}]");
        }
        string Get(string k, string d) => f.Metadata.TryGetValue(k, out var v) ? v : d;
        int Int(string k, int d) => int.TryParse(Get(k, ""), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : d;
        double Dbl(string k) => double.TryParse(Get(k, ""), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : 0;
        PromptShape shape;
        try { shape = PromptShapes.Parse(Get("shape", "padding")); }
        catch (ArgumentException ex) { throw new InvalidDataException($"{path}: {ex.Message}", ex); }
        var meta = new PromptMetadata(shape, (int)s, Int("image_size", (int)s - 2 * Int("prompt_size", 30)), Int("prompt_size", 30),
            Get("source_model", ""), Get("dataset", ""), Dbl("lambda_fca"), Dbl("lambda_tse"));
        if (meta.PromptSize < 0 || meta.PromptSize > s)
            throw new InvalidDataException($"{path}: 'prompt_size' must be in 0..{s}, got {meta.PromptSize}");
        Limits.Positive(path, "image_size", meta.ImageSize, s);
        using var scope = NewDisposeScope();
        var delta = f.ReadFloat("prompt");
        RequirePlausible(path, delta);
        var mask = f.Contains("mask") ? f.ReadFloat("mask")[..1] : PromptMask.Create(shape, (int)s, meta.PromptSize);
        if (canvasSize is int target && target != s)
        {
            warn?.Invoke($"{path}: prompt was made for a {s}-px canvas; resizing it to {target} px");
            delta = nn.functional.interpolate(delta.unsqueeze(0), size: new long[] { target, target }, mode: InterpolationMode.Bilinear, align_corners: false).squeeze(0);
            mask = (nn.functional.interpolate(mask.unsqueeze(0), size: new long[] { target, target }, mode: InterpolationMode.Bilinear, align_corners: false).squeeze(0) > 0.5f).to_type(ScalarType.Float32);
            double k = (double)target / s;
            meta = meta with { CanvasSize = target, ImageSize = (int)Math.Round(meta.ImageSize * k), PromptSize = Math.Max(1, (int)Math.Round(meta.PromptSize * k)) };
        }
        var prompt = new VisualPrompt(meta.Shape, meta.CanvasSize, meta.PromptSize, delta, device);
        using (no_grad()) prompt.Mask.copy_(mask.to(prompt.Mask.device));
        return (prompt, meta);
    }

    /// <summary>The largest |value| a prompt file may hold: prompts live in pixel space ([0,1] images), so anything
    /// near this is a corrupt or diverged file, not a prompt.</summary>
    public const float MaxAbsValue = 1e4f;

    /// <summary>Refuses NaN/Inf and absurd magnitudes: such a prompt would silently evaluate to chance.</summary>
    private static void RequirePlausible(string path, Tensor delta)
    {
        NumericGuard.RequireFinite(delta, $"{path}: 'prompt'");
        using var _ = no_grad();
        float max = delta.numel() == 0 ? 0 : delta.abs().max().item<float>();
        if (max > MaxAbsValue)
            throw new InvalidDataException($"{path}: 'prompt' holds values up to {max:G3} in magnitude, beyond ±{MaxAbsValue:G0} (prompts are pixel offsets); the file is corrupt or came from a diverged run");
    }

    /// <summary>Writes a PNG of the prompt: its values min–max scaled inside the mask, mid-grey outside.</summary>
    public static void WritePreview(string pngPath, Tensor values, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var m = mask[..1].expand(3, -1, -1).to_type(ScalarType.Bool);
        var inside = values.masked_select(m);
        float lo = inside.numel() > 0 ? inside.min().item<float>() : 0f, hi = inside.numel() > 0 ? inside.max().item<float>() : 1f;
        var scaled = hi > lo ? (values - lo) / (hi - lo) : zeros_like(values) + 0.5f;
        var img = where(m, scaled, full_like(values, 0.5f));
        WritePng(pngPath, img);
    }

    /// <summary>Writes a [3,H,W] tensor in [0,1] as an RGB PNG (atomically).</summary>
    public static void WritePng(string pngPath, Tensor chw)
    {
        var png = EncodePng(chw);
        AtomicFile.WriteAllBytes(pngPath, png);
    }

    /// <summary>Encodes a [3,H,W] tensor in [0,1] as the bytes of an RGB PNG file (values clamped, rounded to 8 bits).</summary>
    public static byte[] EncodePng(Tensor chw)
    {
        using var scope = NewDisposeScope();
        var hwc = (chw.detach().cpu().clamp(0f, 1f) * 255f).round().to_type(ScalarType.Byte).permute(1, 2, 0).contiguous(); // [H, W, 3]
        int h = (int)hwc.shape[0], w = (int)hwc.shape[1];
        var bytes = hwc.bytes.ToArray();
        using var ms = new MemoryStream();
        new ImageWriter().WritePng(bytes, w, h, ColorComponents.RedGreenBlue, ms);
        return ms.ToArray();
    }
}
