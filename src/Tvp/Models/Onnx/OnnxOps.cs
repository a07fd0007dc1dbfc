using Tvp.Models.Onnx.Ops;

namespace Tvp.Models.Onnx;

/// <summary>The ONNX ops (default domain) the importer implements, by op type.</summary>
internal static class OnnxOps
{
    private static readonly Lazy<IReadOnlyDictionary<string, OnnxOp>> _all = new(() =>
    {
        var ops = new Dictionary<string, OnnxOp>(StringComparer.Ordinal);
        ElementwiseOps.Register(ops);
        ShapeOps.Register(ops);
        NeuralOps.Register(ops);
        SpatialOps.Register(ops);
        ResizeOps.Register(ops);
        ReductionOps.Register(ops);
        return ops;
    });

    /// <summary>Every supported op type.</summary>
    public static IReadOnlyDictionary<string, OnnxOp> All => _all.Value;

    /// <summary>Supported op types, sorted, comma-separated (for error messages).</summary>
    public static string SupportedList => string.Join(", ", All.Keys.OrderBy(k => k, StringComparer.Ordinal));
}
