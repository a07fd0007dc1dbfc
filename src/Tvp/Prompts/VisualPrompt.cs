using TorchSharp;
using static TorchSharp.torch;

namespace Tvp.Prompts;

/// <summary>
/// A pixel-space visual prompt δ [3,S,S] with its mask [1,S,S]: the prompted canvas is canvas + mask ⊙ δ
/// (no clamping). δ starts at zero. For random-patch prompts the p×p patch (stored at the top-left) is moved
/// to a random position per training batch and stays at the top-left for evaluation.
/// </summary>
public sealed class VisualPrompt : IDisposable
{
    /// <summary>The prompt values δ [3,S,S] (a leaf tensor that requires grad).</summary>
    public Tensor Delta { get; private set; }

    /// <summary>Where δ may be non-zero, [1,S,S] of 0/1.</summary>
    public Tensor Mask { get; private set; }

    /// <summary>The prompt's shape.</summary>
    public PromptShape Shape { get; }

    /// <summary>Canvas side S.</summary>
    public int CanvasSize { get; }

    /// <summary>Prompt size p (border width or patch side).</summary>
    public int PromptSize { get; }

    /// <summary>A zero prompt on <paramref name="device"/>.</summary>
    public VisualPrompt(PromptShape shape, int canvasSize, int promptSize, Device? device = null)
    {
        Shape = shape;
        CanvasSize = canvasSize;
        PromptSize = promptSize;
        device ??= CPU;
        // The prompt outlives any dispose scope it is created in.
        Mask = PromptMask.Create(shape, canvasSize, promptSize).to(device).DetachFromDisposeScope();
        Delta = zeros(new long[] { 3, canvasSize, canvasSize }, device: device).requires_grad_(true).DetachFromDisposeScope();
    }

    /// <summary>A prompt with given values (masked on the way in).</summary>
    public VisualPrompt(PromptShape shape, int canvasSize, int promptSize, Tensor delta, Device? device = null)
        : this(shape, canvasSize, promptSize, device)
    {
        if (!delta.shape.SequenceEqual(new long[] { 3, canvasSize, canvasSize }))
            throw new ArgumentException($"prompt tensor has shape [{string.Join(",", delta.shape)}], expected [3,{canvasSize},{canvasSize}]");
        using (no_grad()) Delta.copy_(delta.to(Delta.device) * Mask);
    }

    /// <summary>Adds the masked prompt to canvases [B,3,S,S]. Differentiable w.r.t. <see cref="Delta"/>.</summary>
    public Tensor Apply(Tensor canvas, bool training = false, Random? rng = null)
    {
        if (canvas.dim() != 4 || canvas.shape[1] != 3 || canvas.shape[2] != CanvasSize || canvas.shape[3] != CanvasSize)
            throw new ArgumentException($"canvas has shape [{string.Join(",", canvas.shape)}], the prompt needs [B,3,{CanvasSize},{CanvasSize}]");
        using var scope = NewDisposeScope();
        var masked = Delta * Mask;                               // [3, S, S]
        if (Shape == PromptShape.RandomPatch && training)
        {
            rng ??= new Random(0);
            long dy = rng.NextInt64(0, CanvasSize - PromptSize + 1), dx = rng.NextInt64(0, CanvasSize - PromptSize + 1);
            masked = masked.roll(new long[] { dy, dx }, new long[] { 1, 2 }); // patch moves, no wrap-around
        }
        return (canvas + masked.unsqueeze(0)).MoveToOuterDisposeScope();
    }

    /// <summary>Replaces δ's values (used by update rules and checkpoints).</summary>
    public void SetValues(Tensor values)
    {
        using (no_grad()) Delta.copy_(values.to(Delta.device) * Mask);
    }

    /// <summary>A detached CPU copy of mask ⊙ δ.</summary>
    public Tensor Values()
    {
        using (no_grad()) return (Delta * Mask).detach().cpu();
    }

    /// <summary>Moves the prompt to another device (keeps values).</summary>
    public void To(Device device)
    {
        using (no_grad())
        {
            var d = Delta.detach().to(device).clone().requires_grad_(true).DetachFromDisposeScope();
            var m = Mask.to(device).clone().DetachFromDisposeScope();
            Delta.Dispose(); Mask.Dispose();
            Delta = d; Mask = m;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Delta.Dispose();
        Mask.Dispose();
    }
}
