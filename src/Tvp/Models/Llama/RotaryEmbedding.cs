using static TorchSharp.torch;

namespace Tvp.Models.Llama;

/// <summary>
/// Rotary position embedding in the HuggingFace rotate-half layout: the two halves of each head's
/// dimensions rotate together (<c>x*cos + rotate_half(x)*sin</c>, <c>emb = cat(freqs, freqs)</c>).
/// Linear rope scaling divides the positions by the factor.
/// </summary>
internal sealed class RotaryEmbedding
{
    private readonly float[] _invFreq;

    public RotaryEmbedding(int headDim, double theta, double linearFactor)
    {
        _invFreq = new float[headDim / 2];
        for (int i = 0; i < _invFreq.Length; i++)
            _invFreq[i] = (float)(1.0 / Math.Pow(theta, 2.0 * i / headDim) / linearFactor);
    }

    /// <summary>cos and sin tables [N,1,T,headDim] for integer positions [N,T].</summary>
    public (Tensor Cos, Tensor Sin) Tables(Tensor positions, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        using var inv = tensor(_invFreq, device: positions.device);
        var freqs = positions.to(ScalarType.Float32).unsqueeze(-1) * inv;   // [N, T, headDim/2]
        var emb = cat(new[] { freqs, freqs }, -1).unsqueeze(1);            // [N, 1, T, headDim]
        return (emb.cos().to(dtype).MoveToOuterDisposeScope(), emb.sin().to(dtype).MoveToOuterDisposeScope());
    }

    /// <summary>Applies the rotation to q or k [N,heads,T,headDim].</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        var half = x.shape[^1] / 2;
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        var rotated = cat(new[] { x2.neg(), x1 }, -1);                     // rotate_half(x)
        return (x * cos + rotated * sin).MoveToOuterDisposeScope();
    }
}
