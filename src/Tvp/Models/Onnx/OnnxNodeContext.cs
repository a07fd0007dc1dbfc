using Onnx;
using static TorchSharp.torch;

namespace Tvp.Models.Onnx;

/// <summary>One ONNX op implemented with TorchSharp operations: node inputs in, node outputs out (differentiable, never in place).</summary>
internal delegate Tensor[] OnnxOp(OnnxNodeContext node);

/// <summary>
/// What an op implementation sees of its node: the input tensors (null for an omitted optional input),
/// the attributes, the opset version of the default domain and the device the graph runs on.
/// </summary>
internal sealed class OnnxNodeContext
{
    private readonly NodeProto _node;
    private readonly Tensor?[] _inputs;

    public OnnxNodeContext(NodeProto node, Tensor?[] inputs, long opset, Device device, string source)
    {
        _node = node;
        _inputs = inputs;
        Opset = opset;
        Device = device;
        Source = source;
    }

    /// <summary>Opset version of the default ONNX domain the model was exported with.</summary>
    public long Opset { get; }

    /// <summary>The graph's device (for tensors an op creates).</summary>
    public Device Device { get; }

    /// <summary>The model file (for error messages).</summary>
    public string Source { get; }

    /// <summary>The op type, e.g. Conv.</summary>
    public string OpType => _node.OpType;

    /// <summary>The node's name (or its first output when unnamed).</summary>
    public string Name => _node.Name.Length > 0 ? _node.Name : (_node.Output.Count > 0 ? _node.Output[0] : "?");

    /// <summary>Number of inputs the node lists (omitted optional inputs included).</summary>
    public int InputCount => _inputs.Length;

    /// <summary>Number of outputs the node declares.</summary>
    public int OutputCount => _node.Output.Count;

    /// <summary>True when output <paramref name="i"/> is declared with a non-empty name.</summary>
    public bool HasOutput(int i) => i < _node.Output.Count && _node.Output[i].Length > 0;

    /// <summary>A required input.</summary>
    public Tensor Input(int i) =>
        i < _inputs.Length && _inputs[i] is { } t ? t : throw Invalid($"input {i} is required but missing");

    /// <summary>An optional input, or null when omitted.</summary>
    public Tensor? OptionalInput(int i) => i < _inputs.Length ? _inputs[i] : null;

    /// <summary>All inputs that are present (variadic ops).</summary>
    public IEnumerable<Tensor> PresentInputs => _inputs.Where(t => t is not null).Select(t => t!);

    private AttributeProto? Attr(string name) => _node.Attribute.FirstOrDefault(a => a.Name == name);

    /// <summary>True when the node sets attribute <paramref name="name"/>.</summary>
    public bool Has(string name) => Attr(name) is not null;

    /// <summary>An integer attribute.</summary>
    public long Int(string name, long fallback) => Attr(name) is { } a ? a.I : fallback;

    /// <summary>A float attribute.</summary>
    public float Float(string name, float fallback) => Attr(name) is { } a ? a.F : fallback;

    /// <summary>A string attribute.</summary>
    public string String(string name, string fallback) => Attr(name) is { } a ? a.S.ToStringUtf8() : fallback;

    /// <summary>An integer-list attribute, or null when absent.</summary>
    public long[]? Ints(string name) => Attr(name) is { } a ? a.Ints.ToArray() : null;

    /// <summary>A float-list attribute, or null when absent.</summary>
    public float[]? Floats(string name) => Attr(name) is { } a ? a.Floats.ToArray() : null;

    /// <summary>A tensor attribute, or null when absent.</summary>
    public TensorProto? TensorAttr(string name) => Attr(name)?.T;

    /// <summary>"ONNX op 'X' (node 'n') in file: what" — for anything this importer does not implement.</summary>
    public NotSupportedException Unsupported(string what) =>
        new($"ONNX op '{OpType}' (node '{Name}') in {Source}: {what} is not supported");

    /// <summary>For a malformed node.</summary>
    public InvalidDataException Invalid(string what) =>
        new($"ONNX op '{OpType}' (node '{Name}') in {Source}: {what}");

    /// <summary>The values of a small integer tensor (shapes, axes, pads), read on the CPU.</summary>
    public static long[] Longs(Tensor t)
    {
        using var typed = t.to_type(ScalarType.Int64);
        using var cpu = typed.cpu();
        using var c = cpu.contiguous();
        return c.data<long>().ToArray();
    }

    /// <summary>The values of a small float tensor (scales), read on the CPU.</summary>
    public static float[] Floats(Tensor t)
    {
        using var typed = t.to_type(ScalarType.Float32);
        using var cpu = typed.cpu();
        using var c = cpu.contiguous();
        return c.data<float>().ToArray();
    }

    /// <summary>A negative axis counted from the end, checked against <paramref name="rank"/>.</summary>
    public long Axis(long axis, long rank)
    {
        var a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw Invalid($"axis {axis} is outside a rank-{rank} tensor");
        return a;
    }
}
