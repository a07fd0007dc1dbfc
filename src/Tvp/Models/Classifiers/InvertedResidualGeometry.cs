namespace Tvp.Models.Classifiers;

/// <summary>
/// Sizes of one inverted residual call: input <see cref="Height"/>×<see cref="Width"/>, the depthwise convolution's stride
/// and leading zero padding, output size, and whether the input is added back.
/// </summary>
internal readonly record struct InvertedResidualGeometry(int Height, int Width, int Stride, int Top, int Left, int OutHeight, int OutWidth, bool Residual)
{
    /// <summary>The geometry for an input of <paramref name="height"/>×<paramref name="width"/> under <paramref name="rule"/>.</summary>
    public static InvertedResidualGeometry Of(int height, int width, int stride, PaddingRule rule, bool residual)
    {
        var (top, bottom) = ConvPadding.Amounts(rule, height, 3, stride);
        var (left, right) = ConvPadding.Amounts(rule, width, 3, stride);
        int outHeight = (int)((height + top + bottom - 3) / stride + 1), outWidth = (int)((width + left + right - 3) / stride + 1);
        return new InvertedResidualGeometry(height, width, stride, (int)top, (int)left, outHeight, outWidth, residual);
    }
}
