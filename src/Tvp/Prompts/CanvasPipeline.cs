using TorchSharp;
using static TorchSharp.torch;

namespace Tvp.Prompts;

/// <summary>
/// The data half of the image pipeline (METHOD.md): bicubic resize to the inner size (training: random crop
/// + horizontal flip; evaluation: centre crop), then zero padding to the canvas. Output is raw pixel space.
/// </summary>
public sealed class CanvasPipeline
{
    /// <summary>Canvas side in pixels (224).</summary>
    public int CanvasSize { get; }

    /// <summary>Inner image side in pixels (164).</summary>
    public int InnerSize { get; }

    /// <summary>Training-time augmentation.</summary>
    public Augmentation Augmentation { get; }

    /// <summary>Creates a pipeline; the inner image must fit the canvas.</summary>
    public CanvasPipeline(int canvasSize, int innerSize, Augmentation augmentation = Augmentation.CropFlip)
    {
        if (!Enum.IsDefined(augmentation)) throw new ArgumentException($"unknown augmentation {augmentation}");
        Augmentation = augmentation;
        if (innerSize <= 0 || innerSize > canvasSize)
            throw new ArgumentException($"image size {innerSize} must be between 1 and the canvas size {canvasSize}");
        CanvasSize = canvasSize;
        InnerSize = innerSize;
    }

    /// <summary>
    /// Turns decoded images ([3,h,w] each, [0,1]) into canvases [B,3,S,S].
    /// Training (<see cref="Augmentation.CropFlip"/>): resize the shorter side to inner·(1+1/8), random inner×inner crop,
    /// flip with p=0.5; <see cref="Augmentation.Flip"/>: evaluation's crop, flip with p=0.5; <see cref="Augmentation.None"/>:
    /// evaluation's crop. Evaluation: resize the shorter side to the inner size, centre crop. <paramref name="views"/>
    /// (optional, one per image) receives where each inner image came from.
    /// </summary>
    public Tensor ToCanvas(IReadOnlyList<Tensor> images, bool training, Random? rng = null, CanvasView[]? views = null)
    {
        if (views is not null && views.Length != images.Count) throw new ArgumentException($"{views.Length} view slots for {images.Count} images");
        if (images.Count == 0) throw new ArgumentException("no images");
        if (training && rng is null) throw new ArgumentException("training augmentation needs a random generator");
        using var scope = NewDisposeScope();
        bool crop = training && Augmentation == Augmentation.CropFlip;
        bool flip = training && Augmentation != Augmentation.None;
        int resizeTo = crop ? (int)Math.Round(InnerSize * 1.125) : InnerSize;
        var inner = new List<Tensor>(images.Count);
        // Same-sized images are resized as one batch (CIFAR); others one by one.
        var groups = images.Select((img, i) => (img, i)).GroupBy(t => (t.img.shape[1], t.img.shape[2]));
        var resized = new Tensor[images.Count];
        foreach (var g in groups)
        {
            var batch = stack(g.Select(t => t.img).ToArray());
            var r = ResizeShorter(batch, resizeTo);
            int k = 0;
            foreach (var (_, i) in g) resized[i] = r[k++];
        }
        for (int i = 0; i < resized.Length; i++)
        {
            var r = resized[i];
            long h = r.shape[1], w = r.shape[2];
            long top, left;
            if (crop)
            {
                top = rng!.NextInt64(0, h - InnerSize + 1);
                left = rng.NextInt64(0, w - InnerSize + 1);
            }
            else
            {
                top = (h - InnerSize) / 2;
                left = (w - InnerSize) / 2;
            }
            var cut = r.narrow(1, top, InnerSize).narrow(2, left, InnerSize);
            bool flipped = flip && rng!.NextDouble() < 0.5;
            if (flipped) cut = cut.flip(2);
            if (views is not null) views[i] = new CanvasView(resizeTo, (int)top, (int)left, flipped);
            inner.Add(cut);
        }
        var x = stack(inner);                                    // [B, 3, inner, inner]
        int before = (CanvasSize - InnerSize) / 2, after = CanvasSize - InnerSize - before;
        var canvas = nn.functional.pad(x, new long[] { before, after, before, after }); // [B, 3, S, S]
        return canvas.contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Bicubic resize of [B,3,h,w] so the shorter side is <paramref name="size"/> (antialiased when shrinking), clamped to [0,1].</summary>
    internal static Tensor ResizeShorter(Tensor batch, int size)
    {
        long h = batch.shape[2], w = batch.shape[3];
        long nh = h <= w ? size : (long)Math.Round((double)h * size / w);
        long nw = h <= w ? (long)Math.Round((double)w * size / h) : size;
        if (nh == h && nw == w) return batch;
        bool down = nh < h || nw < w;
        return nn.functional.interpolate(batch, size: new[] { nh, nw }, mode: InterpolationMode.Bicubic,
            align_corners: false, antialias: down).clamp_(0f, 1f);
    }
}
