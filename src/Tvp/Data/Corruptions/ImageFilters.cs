using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Tvp.Data;

/// <summary>The filtering and resampling steps the corruptions share; images are [C,H,W] float32 on the CPU.</summary>
internal static class ImageFilters
{
    /// <summary>Correlates every channel with <paramref name="kernel"/> [kh,kw] (odd sizes), padding the border by
    /// reflection without repeating the edge (OpenCV's BORDER_REFLECT_101), or by replication when
    /// <paramref name="replicate"/> is set or the image is too small to reflect.</summary>
    public static Tensor Filter2D(Tensor image, Tensor kernel, bool replicate = false)
    {
        using var scope = NewDisposeScope();
        long kh = kernel.shape[0], kw = kernel.shape[1], h = image.shape[1], w = image.shape[2];
        var mode = replicate || kh / 2 >= h || kw / 2 >= w ? PaddingModes.Replicate : PaddingModes.Reflect;
        var x = image.unsqueeze(1);                                                  // [C, 1, H, W]
        x = F.pad(x, new[] { kw / 2, kw / 2, kh / 2, kh / 2 }, mode);                 // [C, 1, H+kh-1, W+kw-1]
        var y = F.conv2d(x, kernel.reshape(1, 1, kh, kw)).squeeze(1);                 // [C, H, W]
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>A normalised 1-D Gaussian of radius <paramref name="radius"/>: exp(−i²/2σ²), i = −r … r.</summary>
    public static float[] Gaussian1D(double sigma, int radius)
    {
        var k = new float[2 * radius + 1];
        double sum = 0;
        for (int i = -radius; i <= radius; i++) sum += Math.Exp(-0.5 * i * i / (sigma * sigma));
        for (int i = -radius; i <= radius; i++) k[i + radius] = (float)(Math.Exp(-0.5 * i * i / (sigma * sigma)) / sum);
        return k;
    }

    /// <summary>scikit-image's <c>gaussian(sigma)</c> (scipy.ndimage.gaussian_filter: truncate 4σ, 'nearest' border),
    /// applied separably to each channel.</summary>
    public static Tensor GaussianBlur(Tensor image, double sigma)
    {
        int radius = (int)(4.0 * sigma + 0.5);
        if (radius == 0) return image.clone();
        using var scope = NewDisposeScope();
        var k = tensor(Gaussian1D(sigma, radius));
        var rows = Filter2D(image, k.reshape(1, -1), replicate: true);
        var both = Filter2D(rows, k.reshape(-1, 1), replicate: true);
        return both.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// ImageMagick's MotionBlurImage(radius, sigma, angle): a one-sided Gaussian (weights exp(−i²/2σ²), i = 0 … 2⌈r⌉)
    /// sampling the pixels at round(i·cos θ, i·sin θ) from each pixel, edges replicated.
    /// </summary>
    public static Tensor MotionBlur(Tensor image, double radius, double sigma, double angleDegrees)
    {
        using var scope = NewDisposeScope();
        int width = 2 * (int)Math.Ceiling(radius) + 1;
        double theta = angleDegrees * Math.PI / 180.0;
        var weights = new double[width];
        for (int i = 0; i < width; i++) weights[i] = Math.Exp(-(double)i * i / (2.0 * sigma * sigma));
        double total = weights.Sum();
        int pad = width;
        long h = image.shape[1], w = image.shape[2];
        var padded = F.pad(image.unsqueeze(0), new long[] { pad, pad, pad, pad }, PaddingModes.Replicate).squeeze(0); // [C, H+2p, W+2p]
        var sum = zeros_like(image);
        for (int i = 0; i < width; i++)
        {
            int dx = (int)Math.Ceiling(i * Math.Cos(theta) - 0.5), dy = (int)Math.Ceiling(i * Math.Sin(theta) - 0.5);
            var shifted = padded.narrow(1, pad + dy, h).narrow(2, pad + dx, w);        // [C, H, W]
            sum.add_(shifted, alpha: weights[i] / total);
        }
        return sum.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The corruption code's <c>clipped_zoom</c>: crop the centre ⌈H/z⌉×⌈W/z⌉, enlarge it by z with linear
    /// interpolation on corner-aligned grids (scipy.ndimage.zoom, order 1) to round(size·z), trim back to H×W.
    /// </summary>
    public static Tensor ClippedZoom(Tensor image, double zoom)
    {
        using var scope = NewDisposeScope();
        long h = image.shape[1], w = image.shape[2];
        long ch = (long)Math.Ceiling(h / zoom), cw = (long)Math.Ceiling(w / zoom);
        long top = (h - ch) / 2, left = (w - cw) / 2;
        var crop = image.narrow(1, top, ch).narrow(2, left, cw).unsqueeze(0);        // [1, C, ch, cw]
        long oh = (long)Math.Round(ch * zoom), ow = (long)Math.Round(cw * zoom);
        var big = F.interpolate(crop, new[] { oh, ow }, mode: InterpolationMode.Bilinear, align_corners: true).squeeze(0); // [C, oh, ow]
        var trimmed = big.narrow(1, (oh - h) / 2, h).narrow(2, (ow - w) / 2, w);      // [C, H, W]
        return trimmed.contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Pillow's BOX resampling weights from <paramref name="inSize"/> to <paramref name="outSize"/> samples: [out, in].</summary>
    public static Tensor BoxResizeMatrix(int inSize, int outSize)
    {
        var m = new float[outSize * inSize];
        double scale = (double)inSize / outSize, filterScale = Math.Max(scale, 1.0), support = 0.5 * filterScale;
        for (int o = 0; o < outSize; o++)
        {
            double center = (o + 0.5) * scale;
            int xmin = Math.Max((int)(center - support + 0.5), 0), xmax = Math.Min((int)(center + support + 0.5), inSize);
            double total = 0;
            for (int i = xmin; i < xmax; i++)
            {
                double t = (i - center + 0.5) / filterScale;
                if (t > -0.5 && t <= 0.5) { m[o * inSize + i] = 1; total++; }
            }
            for (int i = xmin; i < xmax; i++) m[o * inSize + i] /= (float)total;
        }
        return tensor(m, new long[] { outSize, inSize });
    }
}
