using Onnx;
using static TorchSharp.torch;

namespace Tvp.Models.Onnx;

/// <summary>
/// Folds inference-mode BatchNormalization into the convolution that feeds it, once, at import time:
/// <c>BN(conv(x, W, b)) = conv(x, W·s, (b − μ)·s + β)</c> with <c>s = γ / sqrt(σ² + ε)</c> per output channel. The
/// pair becomes one Conv node with new constant weights, so a forward pass runs one kernel instead of two and keeps
/// one activation fewer for the backward pass. The function computed, and so the gradient with respect to the
/// input, is the same (up to float rounding). Only folds when the Conv's output feeds nothing but that BN, and the
/// weights and all BN parameters are constants.
/// </summary>
internal static class BatchNormFolding
{
    /// <summary>Rewrites <paramref name="nodes"/> in place; new weights go into <paramref name="constants"/>. Returns the number of folded pairs.</summary>
    public static int Fold(List<NodeProto> nodes, Dictionary<string, Tensor> constants, ISet<string> graphOutputs)
    {
        var usage = NodeUsage.Of(nodes);
        var producer = usage.Producer;

        int folded = 0;
        using var _ = no_grad();
        foreach (var bn in nodes.Where(n => n.OpType == "BatchNormalization").ToList())
        {
            if (bn.Input.Count < 5 || bn.Output.Count != 1 || !producer.TryGetValue(bn.Input[0], out var conv) || conv.OpType != "Conv") continue;
            if (bn.Attribute.Any(a => a.Name is "training_mode" && a.I != 0) || bn.Attribute.Any(a => a.Name == "spatial" && a.I == 0)) continue;
            var convOut = bn.Input[0];
            if (!usage.OnlyFeedsOne(convOut, graphOutputs)) continue;
            if (!constants.TryGetValue(conv.Input[1], out var w) || w.dim() < 3) continue;
            Tensor? b = null;
            if (conv.Input.Count > 2 && conv.Input[2].Length > 0 && !constants.TryGetValue(conv.Input[2], out b)) continue;
            if (!bn.Input.Skip(1).Take(4).All(constants.ContainsKey)) continue;
            var (gamma, beta, mean, variance) = (constants[bn.Input[1]], constants[bn.Input[2]], constants[bn.Input[3]], constants[bn.Input[4]]);
            float eps = bn.Attribute.FirstOrDefault(a => a.Name == "epsilon")?.F ?? 1e-5f;

            using var scale = gamma / (variance + eps).sqrt();                                   // [M]
            var shape = new long[w.dim()];
            Array.Fill(shape, 1L);
            shape[0] = -1;
            var newW = (w * scale.view(shape)).contiguous();                                   // [M, C/g, k...]
            var newB = (b is null ? (-mean) * scale : (b - mean) * scale) + beta;               // [M]
            newW.requires_grad = false; newB.requires_grad = false;
            string wName = $"{bn.Output[0]}::folded_weight", bName = $"{bn.Output[0]}::folded_bias";
            constants[wName] = newW.DetachFromDisposeScope();
            constants[bName] = newB.DetachFromDisposeScope();

            var fused = conv.Clone();
            fused.Input.Clear();
            fused.Input.Add(conv.Input[0]);
            fused.Input.Add(wName);
            fused.Input.Add(bName);
            usage.ReplacePair(nodes, conv, bn, fused, "bn");
            folded++;
        }
        return folded;
    }
}
