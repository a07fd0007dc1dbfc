using Google.Protobuf;
using Onnx;

namespace Tvp.Tests.Models.Onnx;

/// <summary>Builds small ONNX models with the protobuf classes, for tests (float32 tensors unless told).</summary>
internal sealed class OnnxModelBuilder
{
    private readonly ModelProto _model;
    private GraphProto Graph => _model.Graph;

    public OnnxModelBuilder(long opset = 13)
    {
        _model = new ModelProto { IrVersion = 8, ProducerName = "tvp-tests", Graph = new GraphProto { Name = "test" } };
        _model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
    }

    public OnnxModelBuilder Input(string name, params long[] dims) { Graph.Input.Add(Value(name, TensorProto.Types.DataType.Float, dims)); return this; }

    public OnnxModelBuilder Output(string name) { Graph.Output.Add(Value(name, TensorProto.Types.DataType.Float, null)); return this; }

    public OnnxModelBuilder Initializer(string name, float[] data, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        t.FloatData.AddRange(data);
        Graph.Initializer.Add(t);
        return this;
    }

    /// <summary>An int64 initializer stored as raw_data (the other common encoding).</summary>
    public OnnxModelBuilder Int64s(string name, params long[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.Add(values.Length);
        t.RawData = ByteString.CopyFrom(values.SelectMany(BitConverter.GetBytes).ToArray());
        Graph.Initializer.Add(t);
        return this;
    }

    /// <summary>A float initializer stored as raw_data.</summary>
    public OnnxModelBuilder RawFloats(string name, float[] data, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        t.RawData = ByteString.CopyFrom(data.SelectMany(BitConverter.GetBytes).ToArray());
        Graph.Initializer.Add(t);
        return this;
    }

    public OnnxModelBuilder Node(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var n = new NodeProto { OpType = op, Name = $"{op}_{Graph.Node.Count}" };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        n.Attribute.AddRange(attributes);
        Graph.Node.Add(n);
        return this;
    }

    public ModelProto Model => _model;
    public byte[] Bytes => _model.ToByteArray();

    /// <summary>Normal values scaled by 1/√fan-in (all dims after the first), so activations stay of order one through a net.</summary>
    public static float[] FanInScaledWeights(ulong seed, params long[] shape)
    {
        using var t = TorchSharp.torch.randn(shape, generator: new TorchSharp.torch.Generator(seed));
        float scale = 1f / MathF.Sqrt(shape.Skip(1).Aggregate(1L, (a, b) => a * b));
        return t.data<float>().Select(v => v * scale).ToArray();
    }

    public static AttributeProto Int(string name, long v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = v };
    public static AttributeProto Float(string name, float v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = v };
    public static AttributeProto Str(string name, string v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(v) };
    public static AttributeProto Ints(string name, params long[] v)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(v);
        return a;
    }

    private static ValueInfoProto Value(string name, TensorProto.Types.DataType type, long[]? dims)
    {
        var tt = new TypeProto.Types.Tensor { ElemType = (int)type };
        if (dims is not null)
        {
            tt.Shape = new TensorShapeProto();
            foreach (var d in dims) tt.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tt } };
    }
}
