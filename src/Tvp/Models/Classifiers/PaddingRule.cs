namespace Tvp.Models.Classifiers;

/// <summary>How a classifier's convolutions pad their input (from the card's <c>padding_convention</c>).</summary>
internal enum PaddingRule
{
    /// <summary>PyTorch symmetric zero padding of kernel/2 on every side.</summary>
    Symmetric,

    /// <summary>TensorFlow "SAME": computed per convolution from the actual input size; odd totals put the extra row/column bottom/right.</summary>
    TfSame,
}

/// <summary>The padding amounts of one spatial dimension under a <see cref="PaddingRule"/>.</summary>
internal static class ConvPadding
{
    /// <summary>
    /// Padding (before, after) for an input of size <paramref name="n"/>, kernel <paramref name="k"/>, stride <paramref name="s"/>.
    /// TF SAME: out = ceil(n/s), total = max((out−1)·s + k − n, 0), before = floor(total/2), after = the rest.
    /// </summary>
    public static (long Before, long After) Amounts(PaddingRule rule, long n, long k, long s)
    {
        if (rule == PaddingRule.Symmetric) return (k / 2, k / 2);
        long outSize = (n + s - 1) / s;
        long total = Math.Max((outSize - 1) * s + k - n, 0);
        return (total / 2, total - total / 2);
    }
}
