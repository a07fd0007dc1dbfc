using static TorchSharp.torch;

namespace Tvp.Models.Onnx.Ops;

/// <summary>
/// Resize (opset 10+) and Upsample (opset 7–9), computed axis by axis with ONNX's own coordinate
/// transformation: every output position maps to a source coordinate (half_pixel, pytorch_half_pixel,
/// align_corners, asymmetric, tf_half_pixel_for_nn), then nearest (4 rounding modes), linear (2 taps) or
/// cubic (4 taps, coefficient a, exclude_outside) sampling gathers and weights source rows. Exact, and
/// differentiable in the input.
/// </summary>
internal static class ResizeOps
{
    public static void Register(IDictionary<string, OnnxOp> ops)
    {
        ops["Resize"] = Resize;
        ops["Upsample"] = Upsample;
    }

    private sealed record Sampling(string Mode, string Coordinates, string NearestMode, double CubicA, bool ExcludeOutside);

    private static Tensor[] Resize(OnnxNodeContext n)
    {
        var x = n.Input(0);
        if (n.Int("antialias", 0) != 0) throw n.Unsupported("antialias=1");
        if (n.Has("axes")) throw n.Unsupported("the 'axes' attribute");
        if (n.String("keep_aspect_ratio_policy", "stretch") != "stretch") throw n.Unsupported("keep_aspect_ratio_policy other than stretch");
        Tensor? scalesT, sizesT;
        if (n.Opset < 11) { scalesT = n.Input(1); sizesT = null; }
        else { scalesT = n.OptionalInput(2); sizesT = n.OptionalInput(3); }
        var sampling = new Sampling(
            n.String("mode", "nearest"),
            n.Opset < 11 ? "asymmetric" : n.String("coordinate_transformation_mode", "half_pixel"),
            n.Opset < 11 ? "floor" : n.String("nearest_mode", "round_prefer_floor"),
            n.Float("cubic_coeff_a", -0.75f),
            n.Int("exclude_outside", 0) != 0);
        double[] scales;
        long[] sizes;
        if (sizesT is not null && sizesT.numel() > 0)
        {
            sizes = OnnxNodeContext.Longs(sizesT);
            if (sizes.Length != x.dim()) throw n.Invalid($"sizes has {sizes.Length} entries for a rank-{x.dim()} input");
            scales = sizes.Select((s, i) => (double)s / x.shape[i]).ToArray();
        }
        else if (scalesT is not null && scalesT.numel() > 0)
        {
            scales = OnnxNodeContext.Floats(scalesT).Select(s => (double)s).ToArray();
            if (scales.Length != x.dim()) throw n.Invalid($"scales has {scales.Length} entries for a rank-{x.dim()} input");
            sizes = scales.Select((s, i) => (long)Math.Floor(x.shape[i] * s)).ToArray();
        }
        else throw n.Invalid("neither scales nor sizes is given");
        return new[] { Apply(n, x, scales, sizes, sampling) };
    }

    private static Tensor[] Upsample(OnnxNodeContext n)
    {
        var x = n.Input(0);
        var scales = (n.Opset >= 9 ? OnnxNodeContext.Floats(n.Input(1)) : n.Floats("scales") ?? throw n.Invalid("attribute 'scales' is missing"))
            .Select(s => (double)s).ToArray();
        var sizes = scales.Select((s, i) => (long)Math.Floor(x.shape[i] * s)).ToArray();
        var mode = n.String("mode", "nearest");
        return new[] { Apply(n, x, scales, sizes, new Sampling(mode == "bilinear" ? "linear" : mode, "asymmetric", "floor", -0.75, false)) };
    }

    private static Tensor Apply(OnnxNodeContext n, Tensor x, double[] scales, long[] sizes, Sampling s)
    {
        if (s.Mode is not ("nearest" or "linear" or "cubic")) throw n.Unsupported($"mode '{s.Mode}'");
        var y = x.alias();
        for (int axis = 0; axis < x.dim(); axis++)
        {
            if (sizes[axis] == x.shape[axis] && scales[axis] == 1.0) continue;
            var next = ResizeAxis(n, y, axis, scales[axis], sizes[axis], s);
            y.Dispose();
            y = next;
        }
        return y;
    }

    /// <summary>Source coordinate of output index <paramref name="o"/> along an axis of length <paramref name="len"/>.</summary>
    private static double SourceCoordinate(OnnxNodeContext n, string mode, long o, double scale, long len, long outLen) => mode switch
    {
        "half_pixel" => (o + 0.5) / scale - 0.5,
        "pytorch_half_pixel" => outLen > 1 ? (o + 0.5) / scale - 0.5 : 0,
        "align_corners" => outLen == 1 ? 0 : o * (double)(len - 1) / (outLen - 1),
        "asymmetric" => o / scale,
        "tf_half_pixel_for_nn" => (o + 0.5) / scale,
        _ => throw n.Unsupported($"coordinate_transformation_mode '{mode}'"),
    };

    private static Tensor ResizeAxis(OnnxNodeContext n, Tensor x, int axis, double scale, long outLen, Sampling s)
    {
        long len = x.shape[axis];
        var taps = new List<(long[] Index, float[] Weight)>();
        if (s.Mode == "nearest")
        {
            var idx = new long[outLen];
            for (long o = 0; o < outLen; o++)
            {
                double c = SourceCoordinate(n, s.Coordinates, o, scale, len, outLen);
                double r = s.NearestMode switch
                {
                    "round_prefer_floor" => c == Math.Floor(c) + 0.5 ? Math.Floor(c) : Math.Round(c, MidpointRounding.AwayFromZero),
                    "round_prefer_ceil" => c == Math.Floor(c) + 0.5 ? Math.Ceiling(c) : Math.Round(c, MidpointRounding.AwayFromZero),
                    "floor" => Math.Floor(c),
                    "ceil" => Math.Ceiling(c),
                    var m => throw n.Unsupported($"nearest_mode '{m}'"),
                };
                idx[o] = Math.Clamp((long)r, 0, len - 1);
            }
            return Gather(x, axis, idx);
        }
        if (s.Mode == "linear")
        {
            var i0 = new long[outLen]; var i1 = new long[outLen];
            var w0 = new float[outLen]; var w1 = new float[outLen];
            for (long o = 0; o < outLen; o++)
            {
                double c = Math.Clamp(SourceCoordinate(n, s.Coordinates, o, scale, len, outLen), 0, len - 1);
                long f = (long)Math.Floor(c);
                double t = c - f;
                i0[o] = f; i1[o] = Math.Min(f + 1, len - 1);
                w0[o] = (float)(1 - t); w1[o] = (float)t;
            }
            taps.Add((i0, w0)); taps.Add((i1, w1));
        }
        else
        {
            var idx = Enumerable.Range(0, 4).Select(_ => new long[outLen]).ToArray();
            var w = Enumerable.Range(0, 4).Select(_ => new float[outLen]).ToArray();
            for (long o = 0; o < outLen; o++)
            {
                double c = SourceCoordinate(n, s.Coordinates, o, scale, len, outLen);
                long f = (long)Math.Floor(c);
                double t = c - f, total = 0;
                var ws = new double[4];
                for (int k = 0; k < 4; k++)
                {
                    long src = f - 1 + k;
                    ws[k] = Cubic(Math.Abs(t - (k - 1)), s.CubicA);
                    if (s.ExcludeOutside && (src < 0 || src >= len)) ws[k] = 0;
                    total += ws[k];
                    idx[k][o] = Math.Clamp(src, 0, len - 1);
                }
                for (int k = 0; k < 4; k++) w[k][o] = (float)(s.ExcludeOutside ? ws[k] / total : ws[k]);
            }
            for (int k = 0; k < 4; k++) taps.Add((idx[k], w[k]));
        }

        var shape = Enumerable.Repeat(1L, (int)x.dim()).ToArray();
        shape[axis] = outLen; // weights broadcast along every other dim
        Tensor? sum = null;
        foreach (var (index, weight) in taps)
        {
            using var picked = Gather(x, axis, index);
            using var wt = tensor(weight, shape, x.dtype, x.device);
            var term = picked * wt;
            if (sum is null) sum = term;
            else { var next = sum + term; sum.Dispose(); term.Dispose(); sum = next; }
        }
        return sum!;
    }

    private static Tensor Gather(Tensor x, int axis, long[] index)
    {
        using var idx = tensor(index, ScalarType.Int64, x.device);
        return x.index_select(axis, idx);
    }

    /// <summary>The cubic convolution kernel with coefficient a (Keys; a = -0.75 as in OpenCV / PyTorch).</summary>
    private static double Cubic(double d, double a) => d switch
    {
        <= 1 => ((a + 2) * d - (a + 3)) * d * d + 1,
        < 2 => ((a * d - 5 * a) * d + 8 * a) * d - 4 * a,
        _ => 0,
    };
}
