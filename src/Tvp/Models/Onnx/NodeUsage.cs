using Onnx;

namespace Tvp.Models.Onnx;

/// <summary>Who reads and who writes each value of a node list (the graph rewrites at import look a pair up in it).</summary>
/// <param name="Consumers">How many node inputs read each value.</param>
/// <param name="Producer">The node that writes each value (a rewrite updates it as it replaces nodes).</param>
internal sealed record NodeUsage(IReadOnlyDictionary<string, int> Consumers, Dictionary<string, NodeProto> Producer)
{
    /// <summary>The usage of <paramref name="nodes"/> as they are now.</summary>
    public static NodeUsage Of(IReadOnlyList<NodeProto> nodes)
    {
        var consumers = new Dictionary<string, int>(StringComparer.Ordinal);
        var producer = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var n in nodes)
        {
            foreach (var i in n.Input)
                if (i.Length > 0) consumers[i] = consumers.GetValueOrDefault(i) + 1;
            foreach (var o in n.Output)
                if (o.Length > 0) producer[o] = n;
        }
        return new NodeUsage(consumers, producer);
    }

    /// <summary>True when <paramref name="value"/> feeds exactly one node input and is not a graph output (safe to fuse away).</summary>
    public bool OnlyFeedsOne(string value, ISet<string> graphOutputs) => Consumers.GetValueOrDefault(value) == 1 && !graphOutputs.Contains(value);

    /// <summary>
    /// Puts <paramref name="fused"/> in <paramref name="first"/>'s place and drops <paramref name="second"/> (which read
    /// first's output): fused writes second's output, is named "first+second" (<paramref name="secondFallbackName"/> when
    /// second has no name), and becomes that output's producer.
    /// </summary>
    public void ReplacePair(List<NodeProto> nodes, NodeProto first, NodeProto second, NodeProto fused, string secondFallbackName)
    {
        fused.Output.Clear();
        fused.Output.Add(second.Output[0]);
        fused.Name = (first.Name.Length > 0 ? first.Name : first.Output[0]) + "+" + (second.Name.Length > 0 ? second.Name : secondFallbackName);
        nodes[nodes.IndexOf(first)] = fused;
        nodes.Remove(second);
        Producer[second.Output[0]] = fused;
    }
}
