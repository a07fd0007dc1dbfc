using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Tvp.Models.Classifiers;

/// <summary>
/// An inverted residual block's folded weights packed for <see cref="InvertedResidualKernel"/> in 64-byte aligned native
/// memory: expansion [In, Hidden16], depthwise [9, Hidden16] (tap-major), projection [Hidden, Out16], their biases and, for
/// the input gradient, both 1×1 products transposed;
/// every row padded with zeros to a multiple of 16 floats. Frozen weights: packed once, freed on dispose.
/// </summary>
internal sealed unsafe class InvertedResidualWeights : IDisposable
{
    private float* _memory;

    /// <param name="expansion">Expansion 1×1 [Hidden, In, 1, 1], or null when the block has none (Hidden = In).</param>
    /// <param name="expansionBias">Its bias [Hidden], or null (zero).</param>
    /// <param name="depthwise">Depthwise 3×3 [Hidden, 1, 3, 3].</param>
    /// <param name="depthwiseBias">Its bias [Hidden], or null (zero).</param>
    /// <param name="projection">Projection 1×1 [Out, Hidden, 1, 1].</param>
    /// <param name="projectionBias">Its bias [Out], or null (zero).</param>
    public InvertedResidualWeights(Tensor? expansion, Tensor? expansionBias, Tensor depthwise, Tensor? depthwiseBias, Tensor projection, Tensor? projectionBias)
    {
        Hidden = (int)depthwise.shape[0];
        In = expansion is null ? Hidden : (int)expansion.shape[1];
        Out = (int)projection.shape[0];
        Hidden16 = RoundUp16(Hidden);
        Out16 = RoundUp16(Out);
        long expansionSize = expansion is null ? 0 : (long)In * Hidden16 + Hidden16;
        In16 = RoundUp16(In);
        long transposedSize = (expansion is null ? 0 : (long)Hidden * In16) + (long)Out * Hidden16 + Math.Max(Hidden16, In16);
        long total = expansionSize + 10L * Hidden16 + (long)Hidden * Out16 + Out16 + transposedSize;
        _memory = (float*)NativeMemory.AlignedAlloc((nuint)(total * sizeof(float)), 64);
        new Span<float>(_memory, checked((int)total)).Clear();
        float* next = _memory;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        if (expansion is not null)
        {
            Expansion = next; next += (long)In * Hidden16;
            ExpansionBias = next; next += Hidden16;
            Pack(expansion.detach().view(Hidden, In).t(), Expansion, Hidden16);                // [In, Hidden]
            if (expansionBias is not null) Pack(expansionBias.detach().view(1, Hidden), ExpansionBias, Hidden16);
        }
        Depthwise = next; next += 9L * Hidden16;
        DepthwiseBias = next; next += Hidden16;
        Pack(depthwise.detach().view(Hidden, 9).t(), Depthwise, Hidden16);                      // [9, Hidden]
        if (depthwiseBias is not null) Pack(depthwiseBias.detach().view(1, Hidden), DepthwiseBias, Hidden16);
        Projection = next; next += (long)Hidden * Out16;
        ProjectionBias = next; next += Out16;
        Pack(projection.detach().view(Out, Hidden).t(), Projection, Out16);                    // [Hidden, Out]
        if (projectionBias is not null) Pack(projectionBias.detach().view(1, Out), ProjectionBias, Out16);
        // For the input gradient: the two 1×1 products transposed, and zeros for a bias.
        ProjectionT = next; next += (long)Out * Hidden16;
        Pack(projection.detach().view(Out, Hidden), ProjectionT, Hidden16);                    // [Out, Hidden]
        if (expansion is not null)
        {
            ExpansionT = next; next += (long)Hidden * In16;
            Pack(expansion.detach().view(Hidden, In), ExpansionT, In16);                       // [Hidden, In]
        }
        Zeros = next;
    }

    /// <summary>Input channels.</summary>
    public int In { get; }
    /// <summary>Expanded channels.</summary>
    public int Hidden { get; }
    /// <summary>Output channels.</summary>
    public int Out { get; }
    /// <summary><see cref="Hidden"/> rounded up to 16.</summary>
    public int Hidden16 { get; }
    /// <summary><see cref="Out"/> rounded up to 16.</summary>
    public int Out16 { get; }
    /// <summary><see cref="In"/> rounded up to 16.</summary>
    public int In16 { get; }

    /// <summary>[In, Hidden16], or null without expansion.</summary>
    public float* Expansion { get; }
    /// <summary>[Hidden16].</summary>
    public float* ExpansionBias { get; }
    /// <summary>[9, Hidden16], taps row-major.</summary>
    public float* Depthwise { get; }
    /// <summary>[Hidden16].</summary>
    public float* DepthwiseBias { get; }
    /// <summary>[Hidden, Out16].</summary>
    public float* Projection { get; }
    /// <summary>[Out16].</summary>
    public float* ProjectionBias { get; }
    /// <summary>Projection transposed [Out, Hidden16] (gradient of the projection's input).</summary>
    public float* ProjectionT { get; }
    /// <summary>Expansion transposed [Hidden, In16] (gradient of the block's input), or null without expansion.</summary>
    public float* ExpansionT { get; }
    /// <summary>Zeros [max(Hidden16, In16)] (the bias of the gradient products).</summary>
    public float* Zeros { get; }

    private static int RoundUp16(int n) => (n + 15) & ~15;

    /// <summary>Copies a 2-D float tensor [R, C] into rows of <paramref name="stride"/> floats.</summary>
    private static void Pack(Tensor source, float* destination, int stride)
    {
        using var cpuValues = source.to(ScalarType.Float32).cpu().contiguous();
        var values = cpuValues.data<float>().ToArray();
        int rows = (int)source.shape[0], cols = (int)source.shape[1];
        for (int r = 0; r < rows; r++)
            values.AsSpan(r * cols, cols).CopyTo(new Span<float>(destination + (long)r * stride, cols));
    }

    public void Dispose()
    {
        if (_memory is null) return;
        NativeMemory.AlignedFree(_memory);
        _memory = null;
    }
}
