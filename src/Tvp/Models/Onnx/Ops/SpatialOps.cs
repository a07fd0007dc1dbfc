using TorchSharp;
using static TorchSharp.torch;

namespace Tvp.Models.Onnx.Ops;

/// <summary>
/// Ops over the spatial dims of [N, C, spatial...] tensors: Conv, MaxPool, AveragePool, GlobalAverage/MaxPool
/// (1-D, 2-D and 3-D) and Pad. Asymmetric pads (CNTK exports use them) and auto_pad are honoured by padding
/// explicitly before the torch op.
/// </summary>
internal static class SpatialOps
{
    public static void Register(IDictionary<string, OnnxOp> ops)
    {
        ops["Conv"] = Conv;
        ops["MaxPool"] = MaxPool;
        ops["AveragePool"] = AveragePool;
        ops["GlobalAveragePool"] = n => new[] { n.Input(0).mean(SpatialDims(n.Input(0)), keepdim: true) };
        ops["GlobalMaxPool"] = n => new[] { n.Input(0).amax(SpatialDims(n.Input(0)), keepdim: true) };
        ops["Pad"] = Pad;
    }

    private static long[] SpatialDims(Tensor x) => Enumerable.Range(2, (int)x.dim() - 2).Select(i => (long)i).ToArray();

    /// <summary>Window geometry of a Conv/pool node, with explicit begin/end pads per spatial dim.</summary>
    private sealed record Window(long[] Kernel, long[] Strides, long[] Dilations, long[] Begin, long[] End)
    {
        public bool Symmetric => Begin.SequenceEqual(End);
        public bool Padded => Begin.Any(p => p != 0) || End.Any(p => p != 0);

        /// <summary>Torch pad list (last spatial dim first): [begin_last, end_last, begin_prev, end_prev, ...].</summary>
        public long[] TorchPads()
        {
            var list = new List<long>();
            for (int i = Begin.Length - 1; i >= 0; i--) { list.Add(Begin[i]); list.Add(End[i]); }
            return list.ToArray();
        }
    }

    private static Window WindowOf(OnnxNodeContext n, Tensor x, long[] kernel)
    {
        int r = kernel.Length;
        if (x.dim() != r + 2) throw n.Invalid($"input has shape [{string.Join(",", x.shape)}], expected [N, C] + {r} spatial dims");
        var strides = n.Ints("strides") ?? Ones(r);
        var dilations = n.Ints("dilations") ?? Ones(r);
        var begin = new long[r];
        var end = new long[r];
        var autoPad = n.String("auto_pad", "NOTSET");
        switch (autoPad)
        {
            case "NOTSET":
                var pads = n.Ints("pads") ?? new long[2 * r];
                if (pads.Length != 2 * r) throw n.Invalid($"pads has {pads.Length} entries, expected {2 * r}");
                Array.Copy(pads, 0, begin, 0, r);
                Array.Copy(pads, r, end, 0, r);
                break;
            case "VALID":
                break;
            case "SAME_UPPER":
            case "SAME_LOWER":
                for (int i = 0; i < r; i++)
                {
                    long input = x.shape[i + 2];
                    long output = (input + strides[i] - 1) / strides[i];
                    long total = Math.Max(0, (output - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - input);
                    long small = total / 2, large = total - small;
                    (begin[i], end[i]) = autoPad == "SAME_UPPER" ? (small, large) : (large, small);
                }
                break;
            default:
                throw n.Unsupported($"auto_pad '{autoPad}'");
        }
        // A smaller end pad that no window reaches (e.g. CNTK's [3,3,2,2] for a 7×7 stride-2 conv) equals the
        // symmetric pad: same window starts, same output size. Using it saves an explicit pad copy.
        if (n.Int("ceil_mode", 0) == 0)
            for (int i = 0; i < r; i++)
            {
                long input = x.shape[i + 2], span = (kernel[i] - 1) * dilations[i] + 1;
                if (end[i] < begin[i] && (input + begin[i] + end[i] - span) / strides[i] == (input + 2 * begin[i] - span) / strides[i])
                    end[i] = begin[i];
            }
        return new Window(kernel, strides, dilations, begin, end);
    }

    private static long[] Ones(int r) => Enumerable.Repeat(1L, r).ToArray();

    private static Tensor[] Conv(OnnxNodeContext n)
    {
        var x = n.Input(0);
        var w = n.Input(1);
        var bias = n.OptionalInput(2);
        var kernel = n.Ints("kernel_shape") ?? w.shape.Skip(2).ToArray();
        var win = WindowOf(n, x, kernel);
        long groups = n.Int("group", 1);
        using var padded = win.Symmetric ? x.alias() : nn.functional.pad(x, win.TorchPads());
        var padding = win.Symmetric ? win.Begin : new long[kernel.Length];
        if (kernel.Length == 2)
        {
            bool pointwise = groups == 1 && kernel[0] == 1 && kernel[1] == 1 && padding.All(p => p == 0);
            if (!padded.requires_grad && pointwise && ChannelsLastTensor.Is(padded))
                return new[] { ChannelsLastLayout.Pointwise(padded, w, bias, win.Strides) };
            using var input = Conv2dInput(padded, w);
            return new[] { nn.functional.conv2d(input, w, bias, win.Strides, padding, win.Dilations, groups) };
        }
        Tensor y = kernel.Length switch
        {
            1 => Conv1d(padded, w, bias, win, padding, groups),
            3 => nn.functional.conv3d(padded, w, bias, win.Strides, padding, win.Dilations, groups),
            _ => throw n.Unsupported($"{kernel.Length}-D convolution"),
        };
        return new[] { y };
    }

    /// <summary>
    /// The input in the layout this conv should run in (see <see cref="ChannelsLastLayout"/>): channels-last when the
    /// weight is (its channels-last copy is only handed in when no gradient is tracked), else standard NCHW, so
    /// that grouped and differentiated convolutions never reach oneDNN's channels-last kernels.
    /// </summary>
    private static Tensor Conv2dInput(Tensor x, Tensor w)
    {
        if (ChannelsLastTensor.Is(w)) return ChannelsLastTensor.Is(x) ? x.alias() : ChannelsLastTensor.Of(x);
        return x.is_contiguous() ? x.alias() : x.contiguous();
    }

    private static Tensor Conv1d(Tensor x, Tensor w, Tensor? bias, Window win, long[] padding, long groups)
    {
        using var x2 = x.unsqueeze(2); // [N, C, 1, L]
        using var w2 = w.unsqueeze(2); // [M, C/group, 1, k]
        using var y2 = nn.functional.conv2d(x2, w2, bias, new[] { 1L, win.Strides[0] }, new[] { 0L, padding[0] }, new[] { 1L, win.Dilations[0] }, groups);
        return y2.squeeze(2); // [N, M, L']
    }

    private static Tensor[] MaxPool(OnnxNodeContext n)
    {
        if (n.HasOutput(1)) throw n.Unsupported("the Indices output");
        var x = n.Input(0);
        var kernel = n.Ints("kernel_shape") ?? throw n.Invalid("attribute 'kernel_shape' is missing");
        var win = WindowOf(n, x, kernel);
        bool ceil = n.Int("ceil_mode", 0) != 0;
        bool direct = win.Symmetric && win.Begin.Zip(kernel).All(t => t.First <= t.Second / 2);
        using var padded = direct ? x.alias() : nn.functional.pad(x, win.TorchPads(), PaddingModes.Constant, double.NegativeInfinity);
        var padding = direct ? win.Begin : new long[kernel.Length];
        Tensor y = kernel.Length switch
        {
            1 => Pool1d(padded, t => nn.functional.max_pool2d(t, new[] { 1L, kernel[0] }, new[] { 1L, win.Strides[0] }, new[] { 0L, padding[0] }, new[] { 1L, win.Dilations[0] }, ceil)),
            2 => nn.functional.max_pool2d(padded, kernel, win.Strides, padding, win.Dilations, ceil),
            3 => nn.functional.max_pool3d(padded, kernel, win.Strides, padding, win.Dilations, ceil),
            _ => throw n.Unsupported($"{kernel.Length}-D pooling"),
        };
        return new[] { y };
    }

    private static Tensor[] AveragePool(OnnxNodeContext n)
    {
        var x = n.Input(0);
        var kernel = n.Ints("kernel_shape") ?? throw n.Invalid("attribute 'kernel_shape' is missing");
        var win = WindowOf(n, x, kernel);
        if (win.Dilations.Any(d => d != 1)) throw n.Unsupported("dilated average pooling");
        bool ceil = n.Int("ceil_mode", 0) != 0;
        bool includePad = n.Int("count_include_pad", 0) != 0;
        bool direct = win.Symmetric && win.Begin.Zip(kernel).All(t => t.First <= t.Second / 2);
        if (direct || !win.Padded)
            return new[] { AvgPool(x, kernel, win.Strides, win.Begin, ceil, includePad, n) };

        // Asymmetric (or oversized) pads: pad with zeros, pool without padding; without count_include_pad divide
        // by the pooled mask of real pixels so each window averages its real pixels only.
        var zeroPad = new long[kernel.Length];
        using var padded = nn.functional.pad(x, win.TorchPads());
        var sum = AvgPool(padded, kernel, win.Strides, zeroPad, ceil, true, n);
        if (includePad) return new[] { sum };
        using var ones = torch.ones(new long[] { 1, 1 }.Concat(x.shape.Skip(2)).ToArray(), x.dtype, x.device);
        using var mask = nn.functional.pad(ones, win.TorchPads());
        using var count = AvgPool(mask, kernel, win.Strides, zeroPad, ceil, true, n);
        using var _ = sum;
        return new[] { sum / count };
    }

    private static Tensor AvgPool(Tensor x, long[] kernel, long[] strides, long[] padding, bool ceil, bool includePad, OnnxNodeContext n) => kernel.Length switch
    {
        1 => Pool1d(x, t => nn.functional.avg_pool2d(t, new[] { 1L, kernel[0] }, new[] { 1L, strides[0] }, new[] { 0L, padding[0] }, ceil, includePad)),
        2 => nn.functional.avg_pool2d(x, kernel, strides, padding, ceil, includePad),
        3 => nn.functional.avg_pool3d(x, kernel, strides, padding, ceil, includePad),
        _ => throw n.Unsupported($"{kernel.Length}-D pooling"),
    };

    private static Tensor Pool1d(Tensor x, Func<Tensor, Tensor> pool2d)
    {
        using var x2 = x.unsqueeze(2); // [N, C, 1, L]
        using var y2 = pool2d(x2);
        return y2.squeeze(2); // [N, C, L']
    }

    private static Tensor[] Pad(OnnxNodeContext n)
    {
        var x = n.Input(0);
        long rank = x.dim();
        long[] pads;
        double value = 0;
        long[]? axes = null;
        if (n.Opset < 11)
        {
            pads = n.Ints("pads") ?? n.Ints("paddings") ?? throw n.Invalid("attribute 'pads' is missing");
            value = n.Float("value", 0f);
        }
        else
        {
            pads = OnnxNodeContext.Longs(n.Input(1));
            if (n.OptionalInput(2) is { } v && v.numel() > 0) value = OnnxNodeContext.Floats(v)[0];
            if (n.OptionalInput(3) is { } a) axes = OnnxNodeContext.Longs(a).Select(ax => n.Axis(ax, rank)).ToArray();
        }
        axes ??= Enumerable.Range(0, (int)rank).Select(i => (long)i).ToArray();
        if (pads.Length != 2 * axes.Length) throw n.Invalid($"pads has {pads.Length} entries for {axes.Length} axes");
        var begin = new long[rank];
        var end = new long[rank];
        for (int i = 0; i < axes.Length; i++) { begin[axes[i]] = pads[i]; end[axes[i]] = pads[i + axes.Length]; }

        var mode = n.String("mode", "constant") switch
        {
            "constant" => PaddingModes.Constant,
            "reflect" => PaddingModes.Reflect,
            "edge" => PaddingModes.Replicate,
            "wrap" => PaddingModes.Circular,
            var m => throw n.Unsupported($"pad mode '{m}'"),
        };
        // Torch wants the pad list from the last dim backwards, only as far as the first padded dim.
        int first = 0;
        while (first < rank && begin[first] == 0 && end[first] == 0) first++;
        if (first == rank) return new[] { x.alias() };
        if (mode != PaddingModes.Constant && (first < 2 || rank - first > 3))
            throw n.Unsupported($"'{n.String("mode", "constant")}' padding of dims other than the last 1–3 spatial dims");
        var list = new List<long>();
        for (long d = rank - 1; d >= first; d--) { list.Add(begin[d]); list.Add(end[d]); }
        return new[] { nn.functional.pad(x, list.ToArray(), mode, value) };
    }
}
