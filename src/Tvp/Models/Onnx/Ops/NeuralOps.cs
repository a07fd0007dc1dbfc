using static TorchSharp.torch;

namespace Tvp.Models.Onnx.Ops;

/// <summary>Dense layers and normalisations: Gemm, MatMul, Softmax/LogSoftmax, BatchNormalization (inference), LayerNormalization, InstanceNormalization.</summary>
internal static class NeuralOps
{
    public static void Register(IDictionary<string, OnnxOp> ops)
    {
        ops["MatMul"] = n => new[] { matmul(CheckedMatMul(n, n.Input(0), n.Input(1)), n.Input(1)) };
        ops["Gemm"] = Gemm;
        ops["Softmax"] = n => new[] { SoftmaxLike(n, (x, d) => x.softmax(d)) };
        ops["LogSoftmax"] = n => new[] { SoftmaxLike(n, (x, d) => x.log_softmax(d)) };
        ops["BatchNormalization"] = BatchNormalization;
        ops["LayerNormalization"] = LayerNormalization;
        ops["InstanceNormalization"] = InstanceNormalization;
    }

    private static Tensor[] Gemm(OnnxNodeContext n)
    {
        var a = n.Input(0);
        var b = n.Input(1);
        if (a.dim() != 2 || b.dim() != 2) throw n.Invalid($"Gemm wants 2-D A and B, got [{string.Join(",", a.shape)}] and [{string.Join(",", b.shape)}]");
        using var at = n.Int("transA", 0) != 0 ? a.t() : a.alias();
        using var bt = n.Int("transB", 0) != 0 ? b.t() : b.alias();
        float alpha = n.Float("alpha", 1f), beta = n.Float("beta", 1f);
        var y = matmul(CheckedMatMul(n, at, bt), bt); // [M, N]
        if (alpha != 1f) { var s = y * alpha; y.Dispose(); y = s; }
        if (n.OptionalInput(2) is { } c && beta != 0f)
        {
            var sum = beta == 1f ? y + c : y + c * beta;
            y.Dispose();
            y = sum;
        }
        return new[] { y };
    }

    /// <summary>
    /// Checks matmul operand shapes before libtorch sees them: in this build a failing shape check inside
    /// mm is not turned into a .NET exception but aborts the process.
    /// </summary>
    private static Tensor CheckedMatMul(OnnxNodeContext n, Tensor a, Tensor b)
    {
        string Shapes() => $"[{string.Join(",", a.shape)}] × [{string.Join(",", b.shape)}]";
        if (a.dim() == 0 || b.dim() == 0) throw n.Invalid($"cannot multiply scalars: {Shapes()}");
        long ka = a.shape[^1], kb = b.dim() == 1 ? b.shape[0] : b.shape[^2];
        if (ka != kb) throw n.Invalid($"matrix shapes do not match: {Shapes()}");
        var ba = a.shape.SkipLast(2).ToArray();
        var bb = b.shape.SkipLast(2).ToArray();
        for (int i = 1; i <= Math.Min(ba.Length, bb.Length); i++)
        {
            long da = ba[^i], db = bb[^i];
            if (da != db && da != 1 && db != 1) throw n.Invalid($"batch dims do not broadcast: {Shapes()}");
        }
        return a;
    }

    /// <summary>Softmax-like ops: along one axis (opset ≥ 13) or over the input coerced to 2-D at the axis (older opsets).</summary>
    private static Tensor SoftmaxLike(OnnxNodeContext n, Func<Tensor, long, Tensor> f)
    {
        var x = n.Input(0);
        if (n.Opset >= 13) return f(x, n.Axis(n.Int("axis", -1), x.dim()));
        var axis = n.Axis(n.Int("axis", 1), x.dim());
        long outer = 1;
        for (int i = 0; i < axis; i++) outer *= x.shape[i];
        using var flat = x.reshape(outer, -1); // [prod(dims < axis), prod(dims >= axis)]
        using var y = f(flat, 1);
        return y.reshape(x.shape);
    }

    private static Tensor[] BatchNormalization(OnnxNodeContext n)
    {
        if (n.Has("spatial") && n.Int("spatial", 1) == 0) throw n.Unsupported("spatial=0 (per-activation statistics)");
        if (n.Int("training_mode", 0) != 0 || n.HasOutput(1)) throw n.Unsupported("training mode (running statistics outputs)");
        var x = n.Input(0);
        // Inference-mode BN as the affine map it is, y = (x − mean)·scale/√(var + ε) + bias, in elementary ops:
        // its backward is plain autograd (libtorch's batch_norm kernel gave NaN input gradients in eval mode in some
        // full test runs, never reproduced alone).
        var shape = new long[x.dim()];                                                   // [1, C, 1, …]
        Array.Fill(shape, 1L);
        shape[1] = x.shape[1];
        using var scope = NewDisposeScope();
        var invStd = (n.Input(4) + n.Float("epsilon", 1e-5f)).rsqrt();                    // [C]
        var gain = (n.Input(1) * invStd).reshape(shape);                                 // [1, C, 1, …]
        var shift = (n.Input(2) - n.Input(3) * n.Input(1) * invStd).reshape(shape);      // [1, C, 1, …]
        return new[] { (x * gain + shift).MoveToOuterDisposeScope() };
    }

    private static Tensor[] LayerNormalization(OnnxNodeContext n)
    {
        if (n.HasOutput(1) || n.HasOutput(2)) throw n.Unsupported("the Mean / InvStdDev outputs");
        var x = n.Input(0);
        var axis = n.Axis(n.Int("axis", -1), x.dim());
        var normalized = x.shape.Skip((int)axis).ToArray();
        using var scale = n.Input(1).expand(normalized);
        using var bias = n.OptionalInput(2)?.expand(normalized);
        return new[] { nn.functional.layer_norm(x, normalized, scale, bias, n.Float("epsilon", 1e-5f)) };
    }

    private static Tensor[] InstanceNormalization(OnnxNodeContext n)
    {
        var x = n.Input(0);
        var dims = Enumerable.Range(2, (int)x.dim() - 2).Select(i => (long)i).ToArray();
        var affine = new long[x.dim()];
        Array.Fill(affine, 1L);
        affine[1] = x.shape[1];
        using var mean = x.mean(dims, keepdim: true);
        using var centred = x - mean;
        using var variance = (centred * centred).mean(dims, keepdim: true);
        using var std = (variance + n.Float("epsilon", 1e-5f)).sqrt();
        using var scale = n.Input(1).reshape(affine); // [1, C, 1, ...]
        using var bias = n.Input(2).reshape(affine);  // [1, C, 1, ...]
        return new[] { centred / std * scale + bias };
    }
}
