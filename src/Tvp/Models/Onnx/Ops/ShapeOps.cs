using static TorchSharp.torch;

namespace Tvp.Models.Onnx.Ops;

/// <summary>ONNX ops that compute or change shapes, select or assemble tensors: Shape, Reshape, Flatten, Transpose, Concat, Split, Gather, Slice, Squeeze/Unsqueeze, Expand, Tile, Constant(OfShape), Range.</summary>
internal static class ShapeOps
{
    public static void Register(IDictionary<string, OnnxOp> ops)
    {
        ops["Shape"] = Shape;
        ops["Size"] = n => new[] { tensor(n.Input(0).numel(), ScalarType.Int64, n.Input(0).device) };
        ops["Reshape"] = Reshape;
        ops["Flatten"] = Flatten;
        ops["Transpose"] = n =>
        {
            var x = n.Input(0);
            var perm = n.Ints("perm") ?? Enumerable.Range(0, (int)x.dim()).Reverse().Select(i => (long)i).ToArray();
            return new[] { x.permute(perm) };
        };
        ops["Concat"] = n =>
        {
            var xs = n.PresentInputs.ToList();
            var axis = n.Axis(n.Int("axis", 0), xs[0].dim());
            return new[] { cat(xs, axis) };
        };
        ops["Split"] = Split;
        ops["Gather"] = Gather;
        ops["GatherElements"] = n =>
        {
            var x = n.Input(0);
            var axis = n.Axis(n.Int("axis", 0), x.dim());
            using var idx = n.Input(1).to_type(ScalarType.Int64).remainder(x.shape[axis]);
            return new[] { x.gather(axis, idx) };
        };
        ops["Slice"] = Slice;
        ops["Squeeze"] = Squeeze;
        ops["Unsqueeze"] = Unsqueeze;
        ops["Expand"] = n =>
        {
            var x = n.Input(0);
            var target = OnnxNodeContext.Longs(n.Input(1));
            return new[] { x.expand(Broadcast(x.shape, target, n)) };
        };
        ops["Tile"] = n => new[] { n.Input(0).tile(OnnxNodeContext.Longs(n.Input(1))) };
        ops["Constant"] = Constant;
        ops["ConstantOfShape"] = n =>
        {
            var shape = OnnxNodeContext.Longs(n.Input(0));
            if (n.TensorAttr("value") is not { } v) return new[] { zeros(shape, ScalarType.Float32, n.Device) };
            using var one = OnnxTensorReader.Read(v, n.Device, n.Source);
            return new[] { one.reshape(Array.Empty<long>()).expand(shape).contiguous() };
        };
        ops["Range"] = n =>
        {
            var start = n.Input(0);
            if (start.is_floating_point())
                return new[] { arange(OnnxNodeContext.Floats(start)[0], OnnxNodeContext.Floats(n.Input(1))[0], OnnxNodeContext.Floats(n.Input(2))[0], start.dtype, n.Device) };
            return new[] { arange(OnnxNodeContext.Longs(start)[0], OnnxNodeContext.Longs(n.Input(1))[0], OnnxNodeContext.Longs(n.Input(2))[0], start.dtype, n.Device) };
        };
    }

    /// <summary>The value of a Constant node (also used to fold Constant nodes at load time).</summary>
    public static Tensor[] Constant(OnnxNodeContext n)
    {
        if (n.TensorAttr("value") is { } t) return new[] { OnnxTensorReader.Read(t, n.Device, $"{n.Source} node '{n.Name}'") };
        if (n.Has("value_float")) return new[] { tensor(n.Float("value_float", 0), ScalarType.Float32, n.Device) };
        if (n.Floats("value_floats") is { } fs) return new[] { tensor(fs, ScalarType.Float32, n.Device) };
        if (n.Has("value_int")) return new[] { tensor(n.Int("value_int", 0), ScalarType.Int64, n.Device) };
        if (n.Ints("value_ints") is { } ls) return new[] { tensor(ls, ScalarType.Int64, n.Device) };
        throw n.Unsupported("a Constant without value/value_float(s)/value_int(s) (sparse or string constants)");
    }

    private static Tensor[] Shape(OnnxNodeContext n)
    {
        var shape = n.Input(0).shape;
        long rank = shape.Length;
        long start = n.Int("start", 0), end = n.Int("end", rank);
        start = Math.Clamp(start < 0 ? start + rank : start, 0, rank);
        end = Math.Clamp(end < 0 ? end + rank : end, 0, rank);
        var part = shape.Skip((int)start).Take((int)Math.Max(0, end - start)).ToArray();
        return new[] { tensor(part, ScalarType.Int64, n.Device) };
    }

    private static Tensor[] Reshape(OnnxNodeContext n)
    {
        var x = n.Input(0);
        var target = OnnxNodeContext.Longs(n.Input(1));
        bool allowZero = n.Int("allowzero", 0) != 0;
        for (int i = 0; i < target.Length; i++)
        {
            if (target[i] != 0 || allowZero) continue;
            if (i >= x.dim()) throw n.Invalid($"shape entry {i} is 0 (copy) but the input has rank {x.dim()}");
            target[i] = x.shape[i];
        }
        return new[] { x.reshape(target) };
    }

    private static Tensor[] Flatten(OnnxNodeContext n)
    {
        var x = n.Input(0);
        long rank = x.dim();
        long axis = n.Int("axis", 1);
        if (axis < 0) axis += rank;
        if (axis < 0 || axis > rank) throw n.Invalid($"axis {n.Int("axis", 1)} is outside 0..{rank}");
        long outer = 1, inner = 1;
        for (int i = 0; i < rank; i++) { if (i < axis) outer *= x.shape[i]; else inner *= x.shape[i]; }
        return new[] { x.reshape(outer, inner) }; // [prod(dims < axis), prod(dims >= axis)]
    }

    private static Tensor[] Split(OnnxNodeContext n)
    {
        var x = n.Input(0);
        var axis = n.Axis(n.Int("axis", 0), x.dim());
        long[]? sizes = n.OptionalInput(1) is { } s ? OnnxNodeContext.Longs(s) : n.Ints("split");
        if (sizes is null || sizes.Length == 0)
        {
            long parts = n.Has("num_outputs") ? n.Int("num_outputs", 1) : n.OutputCount;
            long each = (x.shape[axis] + parts - 1) / parts; // ONNX: the last chunk may be smaller
            sizes = Enumerable.Range(0, (int)parts).Select(i => Math.Min(each, x.shape[axis] - i * each)).ToArray();
        }
        if (sizes.Sum() != x.shape[axis]) throw n.Invalid($"split sizes [{string.Join(",", sizes)}] do not add up to {x.shape[axis]}");
        return x.split(sizes, axis);
    }

    private static Tensor[] Gather(OnnxNodeContext n)
    {
        var x = n.Input(0);
        var indices = n.Input(1);
        var axis = n.Axis(n.Int("axis", 0), x.dim());
        using var idx64 = indices.to_type(ScalarType.Int64);
        using var wrapped = idx64.remainder(x.shape[axis]); // negative indices count from the end
        using var flat = wrapped.flatten();
        using var picked = x.index_select(axis, flat);
        var shape = x.shape.Take((int)axis).Concat(indices.shape).Concat(x.shape.Skip((int)axis + 1)).ToArray();
        return new[] { picked.reshape(shape) }; // [x dims before axis, indices dims, x dims after axis]
    }

    private static Tensor[] Slice(OnnxNodeContext n)
    {
        var x = n.Input(0);
        long[] starts, ends; long[]? axes, steps;
        if (n.Opset < 10)
        {
            starts = n.Ints("starts") ?? throw n.Invalid("attribute 'starts' is missing");
            ends = n.Ints("ends") ?? throw n.Invalid("attribute 'ends' is missing");
            axes = n.Ints("axes");
            steps = null;
        }
        else
        {
            starts = OnnxNodeContext.Longs(n.Input(1));
            ends = OnnxNodeContext.Longs(n.Input(2));
            axes = n.OptionalInput(3) is { } a ? OnnxNodeContext.Longs(a) : null;
            steps = n.OptionalInput(4) is { } s ? OnnxNodeContext.Longs(s) : null;
        }
        axes ??= Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        var y = x.alias();
        for (int i = 0; i < starts.Length; i++)
        {
            long axis = n.Axis(axes[i], x.dim());
            long dim = x.shape[axis];
            long step = steps?[i] ?? 1;
            if (step == 0) throw n.Invalid("slice step 0");
            long start = starts[i] < 0 ? starts[i] + dim : starts[i];
            long end = ends[i] < 0 ? ends[i] + dim : ends[i];
            Tensor next;
            if (step > 0)
            {
                start = Math.Clamp(start, 0, dim);
                end = Math.Clamp(end, start, dim);
                next = y.slice(axis, start, end, step);
            }
            else
            {
                start = Math.Clamp(start, 0, dim - 1);
                end = Math.Clamp(end, -1, dim - 1);
                var idx = new List<long>();
                for (long k = start; k > end; k += step) idx.Add(k);
                using var index = tensor(idx.ToArray(), ScalarType.Int64, y.device);
                next = y.index_select(axis, index);
            }
            y.Dispose();
            y = next;
        }
        return new[] { y };
    }

    private static long[] AxesOf(OnnxNodeContext n) =>
        n.Opset >= 13 ? (n.OptionalInput(1) is { } a ? OnnxNodeContext.Longs(a) : Array.Empty<long>()) : n.Ints("axes") ?? Array.Empty<long>();

    private static Tensor[] Squeeze(OnnxNodeContext n)
    {
        var x = n.Input(0);
        var axes = AxesOf(n).Select(a => n.Axis(a, x.dim())).ToHashSet();
        var shape = new List<long>();
        for (int i = 0; i < x.dim(); i++)
        {
            bool drop = axes.Count == 0 ? x.shape[i] == 1 : axes.Contains(i);
            if (drop && x.shape[i] != 1) throw n.Invalid($"cannot squeeze axis {i} of size {x.shape[i]}");
            if (!drop) shape.Add(x.shape[i]);
        }
        return new[] { x.reshape(shape.ToArray()) };
    }

    private static Tensor[] Unsqueeze(OnnxNodeContext n)
    {
        var x = n.Input(0);
        var raw = AxesOf(n);
        long rank = x.dim() + raw.Length;
        var axes = raw.Select(a => n.Axis(a, rank)).ToHashSet();
        var shape = new long[rank];
        int src = 0;
        for (int i = 0; i < rank; i++) shape[i] = axes.Contains(i) ? 1 : x.shape[src++];
        return new[] { x.reshape(shape) };
    }

    /// <summary>Numpy-style (bidirectional) broadcast of two shapes, as ONNX Expand wants.</summary>
    private static long[] Broadcast(long[] a, long[] b, OnnxNodeContext n)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            long da = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
            long db = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
            if (da != db && da != 1 && db != 1) throw n.Invalid($"cannot broadcast [{string.Join(",", a)}] to [{string.Join(",", b)}]");
            result[i] = da == 1 ? db : da;
        }
        return result;
    }
}
