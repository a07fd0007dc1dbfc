using static TorchSharp.torch;

namespace Tvp.Prompts;

/// <summary>Builds the [1,S,S] 0/1 mask of where a prompt may be non-zero.</summary>
public static class PromptMask
{
    /// <summary>The mask of <paramref name="shape"/> on an S×S canvas with prompt size p (patch at the top-left for patch shapes).</summary>
    public static Tensor Create(PromptShape shape, int canvasSize, int promptSize)
    {
        if (canvasSize <= 0) throw new ArgumentException($"canvas size must be positive, got {canvasSize}");
        if (shape != PromptShape.Full && (promptSize <= 0 || (shape == PromptShape.Padding ? 2 * promptSize >= canvasSize : promptSize > canvasSize)))
            throw new ArgumentException($"prompt size {promptSize} does not fit a {shape.Name()} prompt on a {canvasSize}-px canvas");
        var m = zeros(1, canvasSize, canvasSize);
        int s = canvasSize, p = promptSize;
        switch (shape)
        {
            case PromptShape.Padding:
                m[.., ..p, ..] = 1f;
                m[.., (s - p).., ..] = 1f;
                m[.., .., ..p] = 1f;
                m[.., .., (s - p)..] = 1f;
                break;
            case PromptShape.FixedPatch:
            case PromptShape.RandomPatch:
                m[.., ..p, ..p] = 1f;
                break;
            default:
                m.fill_(1f);
                break;
        }
        return m;
    }
}
