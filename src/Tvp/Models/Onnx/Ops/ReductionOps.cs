using static TorchSharp.torch;

namespace Tvp.Models.Onnx.Ops;

/// <summary>Reduce* ops (axes as attribute or, in newer opsets, as input; keepdims; noop_with_empty_axes) and ArgMax/ArgMin.</summary>
internal static class ReductionOps
{
    public static void Register(IDictionary<string, OnnxOp> ops)
    {
        Reduce(ops, "ReduceMean", (x, d, k) => x.mean(d, keepdim: k));
        Reduce(ops, "ReduceSum", (x, d, k) => x.sum(d, keepdim: k));
        Reduce(ops, "ReduceMax", (x, d, k) => x.amax(d, keepdim: k));
        Reduce(ops, "ReduceMin", (x, d, k) => x.amin(d, keepdim: k));
        Reduce(ops, "ReduceSumSquare", (x, d, k) => (x * x).sum(d, keepdim: k));
        Reduce(ops, "ReduceL2", (x, d, k) => (x * x).sum(d, keepdim: k).sqrt());
        Reduce(ops, "ReduceL1", (x, d, k) => x.abs().sum(d, keepdim: k));
        Reduce(ops, "ReduceLogSumExp", (x, d, k) =>
        {
            using var m = x.amax(d, keepdim: true).detach(); // shift for stability (a constant: no gradient needed)
            using var shifted = (x - m).exp();
            using var lse = shifted.sum(d, keepdim: true).log() + m;
            return k ? lse.alias() : lse.reshape(x.shape.Where((_, i) => !d.Contains(i)).ToArray());
        });
        Reduce(ops, "ReduceProd", (x, d, k) =>
        {
            var y = x.alias();
            foreach (var axis in d.OrderByDescending(a => a)) { var next = y.prod(axis, keepdim: k); y.Dispose(); y = next; }
            return y;
        });
        ops["ArgMax"] = n => new[] { Arg(n, (x, d, k) => x.argmax(d, keepdim: k)) };
        ops["ArgMin"] = n => new[] { Arg(n, (x, d, k) => x.argmin(d, keepdim: k)) };
    }

    private static void Reduce(IDictionary<string, OnnxOp> ops, string name, Func<Tensor, long[], bool, Tensor> f) =>
        ops[name] = n =>
        {
            var x = n.Input(0);
            // Axes moved from attribute to input in opset 13 (ReduceSum) / 18 (the others); accept either.
            long[]? axes = n.OptionalInput(1) is { } a ? OnnxNodeContext.Longs(a) : n.Ints("axes");
            if (axes is null || axes.Length == 0)
            {
                if (n.Int("noop_with_empty_axes", 0) != 0) return new[] { x.alias() };
                axes = Enumerable.Range(0, (int)x.dim()).Select(i => (long)i).ToArray();
            }
            var dims = axes.Select(ax => n.Axis(ax, x.dim())).Distinct().ToArray();
            return new[] { f(x, dims, n.Int("keepdims", 1) != 0) };
        };

    private static Tensor Arg(OnnxNodeContext n, Func<Tensor, long, bool, Tensor> f)
    {
        if (n.Int("select_last_index", 0) != 0) throw n.Unsupported("select_last_index=1");
        var x = n.Input(0);
        return f(x, n.Axis(n.Int("axis", 0), x.dim()), n.Int("keepdims", 1) != 0);
    }
}
