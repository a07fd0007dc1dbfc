using Onnx;
using static TorchSharp.torch;

namespace Tvp.Models.Onnx;

/// <summary>
/// Fuses a Relu into the Conv or Add that feeds it, at import: the pair becomes one node of op type
/// <c>"Conv+Relu"</c> / <c>"Add+Relu"</c> whose output is rectified in place when no gradient is tracked (no
/// second activation-sized tensor, one pass less over memory) and by an ordinary ReLU otherwise (the function and
/// its gradient are those of the pair). Only when the producer's output feeds nothing but that Relu and is not a
/// graph output.
/// </summary>
internal static class ReluFusion
{
    private const string Suffix = "+Relu";
    private static readonly string[] Fusable = { "Conv", "Add" };

    /// <summary>The op to run for <paramref name="opType"/>, and whether a ReLU follows it.</summary>
    public static (string Op, bool Relu) Split(string opType) =>
        opType.EndsWith(Suffix, StringComparison.Ordinal) ? (opType[..^Suffix.Length], true) : (opType, false);

    /// <summary>ReLU of a node's fresh output <paramref name="y"/>: in place when no gradient is tracked.</summary>
    public static Tensor Apply(Tensor y)
    {
        if (y.requires_grad) return nn.functional.relu(y);
        y.relu_();
        return y;
    }

    /// <summary>Rewrites <paramref name="nodes"/> in place. Returns the number of fused pairs.</summary>
    public static int Fuse(List<NodeProto> nodes, ISet<string> graphOutputs)
    {
        var usage = NodeUsage.Of(nodes);
        var producer = usage.Producer;

        int fused = 0;
        foreach (var relu in nodes.Where(n => n.OpType == "Relu").ToList())
        {
            if (relu.Input.Count != 1 || relu.Output.Count != 1 || !producer.TryGetValue(relu.Input[0], out var first)) continue;
            if (!Fusable.Contains(first.OpType) || first.Output.Count != 1) continue;
            var between = relu.Input[0];
            if (!usage.OnlyFeedsOne(between, graphOutputs)) continue;

            var pair = first.Clone();
            pair.OpType = first.OpType + Suffix;
            usage.ReplacePair(nodes, first, relu, pair, "relu");
            fused++;
        }
        return fused;
    }
}
