using TorchSharp;
using static TorchSharp.torch;

namespace Tvp.Models.Onnx.Ops;

/// <summary>Unary and (broadcasting) binary element-wise ONNX ops, activations, Clip, Cast and Where.</summary>
internal static class ElementwiseOps
{
    public static void Register(IDictionary<string, OnnxOp> ops)
    {
        Unary(ops, "Relu", x => nn.functional.relu(x));
        Unary(ops, "Sigmoid", x => x.sigmoid());
        Unary(ops, "Tanh", x => x.tanh());
        Unary(ops, "Erf", x => x.erf());
        Unary(ops, "Sqrt", x => x.sqrt());
        Unary(ops, "Exp", x => x.exp());
        Unary(ops, "Log", x => x.log());
        Unary(ops, "Abs", x => x.abs());
        Unary(ops, "Neg", x => x.neg());
        Unary(ops, "Floor", x => x.floor());
        Unary(ops, "Ceil", x => x.ceil());
        Unary(ops, "Round", x => x.round());
        Unary(ops, "Sign", x => x.sign());
        Unary(ops, "Reciprocal", x => x.reciprocal());
        Unary(ops, "Sin", x => x.sin());
        Unary(ops, "Cos", x => x.cos());
        Unary(ops, "Not", x => x.logical_not());
        Unary(ops, "Softsign", x => x / (x.abs() + 1));
        Unary(ops, "HardSwish", x => nn.functional.hardswish(x));
        Unary(ops, "Mish", x => x * nn.functional.softplus(x).tanh());
        Unary(ops, "Identity", x => x.alias());
        ops["Softplus"] = n => new[] { n.Input(0).exp().log1p() };
        ops["LeakyRelu"] = n => new[] { nn.functional.leaky_relu(n.Input(0), n.Float("alpha", 0.01f)) };
        ops["Elu"] = n => new[] { nn.functional.elu(n.Input(0), n.Float("alpha", 1f)) };
        ops["HardSigmoid"] = n => new[] { (n.Input(0) * n.Float("alpha", 0.2f) + n.Float("beta", 0.5f)).clamp(0, 1) };
        ops["Gelu"] = n => new[]
        {
            n.String("approximate", "none") == "tanh"
                ? nn.functional.gelu(n.Input(0), TorchSharp.Modules.GELU.Approximate.tanh)
                : nn.functional.gelu(n.Input(0)),
        };
        ops["Dropout"] = Dropout;
        ops["Clip"] = Clip;
        ops["Cast"] = n =>
        {
            var to = OnnxTensorReader.ScalarTypeOf(n.Int("to", 1), $"{n.Source} node '{n.Name}'");
            var x = n.Input(0);
            return new[] { x.dtype == to ? x.alias() : x.to_type(to) };
        };
        ops["CastLike"] = n => new[] { n.Input(0).to_type(n.Input(1).dtype) };

        Binary(ops, "Add", (a, b) => a + b);
        Binary(ops, "Sub", (a, b) => a - b);
        Binary(ops, "Mul", (a, b) => a * b);
        Binary(ops, "Div", (a, b) => a.is_floating_point() ? a / b : a.div(b, RoundingMode.trunc));
        Binary(ops, "Pow", (a, b) => a.pow(b));
        Binary(ops, "Equal", (a, b) => a.eq(b));
        Binary(ops, "Less", (a, b) => a.lt(b));
        Binary(ops, "LessOrEqual", (a, b) => a.le(b));
        Binary(ops, "Greater", (a, b) => a.gt(b));
        Binary(ops, "GreaterOrEqual", (a, b) => a.ge(b));
        Binary(ops, "And", (a, b) => a.logical_and(b));
        Binary(ops, "Or", (a, b) => a.logical_or(b));
        Binary(ops, "Xor", (a, b) => a.logical_xor(b));
        Binary(ops, "PRelu", (x, slope) => where(x.ge(0), x, x * slope));
        Variadic(ops, "Max", (a, b) => maximum(a, b));
        Variadic(ops, "Min", (a, b) => minimum(a, b));
        Variadic(ops, "Sum", (a, b) => a + b);
        ops["Mean"] = n =>
        {
            var xs = n.PresentInputs.ToList();
            var sum = xs[0].alias();
            foreach (var x in xs.Skip(1)) sum = sum + x;
            return new[] { sum / xs.Count };
        };
        ops["Where"] = n =>
        {
            var cond = n.Input(0);
            var c = cond.dtype == ScalarType.Bool ? cond : cond.to_type(ScalarType.Bool);
            return new[] { where(c, n.Input(1), n.Input(2)) };
        };
    }

    private static void Unary(IDictionary<string, OnnxOp> ops, string name, Func<Tensor, Tensor> f) =>
        ops[name] = n => new[] { f(n.Input(0)) };

    private static void Binary(IDictionary<string, OnnxOp> ops, string name, Func<Tensor, Tensor, Tensor> f) =>
        ops[name] = n =>
        {
            if (n.Opset < 7 && n.Has("broadcast") && n.Has("axis"))
                throw n.Unsupported("legacy broadcasting with an 'axis' attribute (opset < 7)");
            return new[] { f(n.Input(0), n.Input(1)) };
        };

    private static void Variadic(IDictionary<string, OnnxOp> ops, string name, Func<Tensor, Tensor, Tensor> f) =>
        ops[name] = n =>
        {
            var xs = n.PresentInputs.ToList();
            if (xs.Count == 0) throw n.Invalid("needs at least one input");
            var acc = xs[0].alias();
            foreach (var x in xs.Skip(1)) acc = f(acc, x);
            return new[] { acc };
        };

    private static Tensor[] Dropout(OnnxNodeContext n)
    {
        // Inference: identity; the optional mask output is all true.
        var x = n.Input(0);
        if (!n.HasOutput(1)) return new[] { x.alias() };
        return new[] { x.alias(), ones(x.shape, dtype: ScalarType.Bool, device: x.device) };
    }

    private static Tensor[] Clip(OnnxNodeContext n)
    {
        var x = n.Input(0);
        double? min, max;
        if (n.Opset < 11)
        {
            min = n.Has("min") ? n.Float("min", float.MinValue) : null;
            max = n.Has("max") ? n.Float("max", float.MaxValue) : null;
        }
        else
        {
            min = n.OptionalInput(1) is { } lo ? OnnxNodeContext.Floats(lo)[0] : null;
            max = n.OptionalInput(2) is { } hi ? OnnxNodeContext.Floats(hi)[0] : null;
        }
        Tensor y = (min, max) switch
        {
            ({ } lo, { } hi) => x.clamp(lo, hi),
            ({ } lo, null) => x.clamp_min(lo),
            (null, { } hi) => x.clamp_max(hi),
            _ => x.alias(),
        };
        return new[] { y };
    }
}
