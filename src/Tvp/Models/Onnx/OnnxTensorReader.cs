using System.Runtime.InteropServices;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Tvp.Models.Onnx;

/// <summary>
/// Turns an ONNX <see cref="TensorProto"/> (initializer or Constant value) into a TorchSharp tensor: raw_data
/// (little-endian bytes) or the typed fields (float_data, int64_data, int32_data, double_data), for
/// float, double, float16, int64, int32, int16, int8, uint8 and bool. External data is refused.
/// </summary>
internal static class OnnxTensorReader
{
    /// <summary>Reads <paramref name="t"/> onto <paramref name="device"/>; <paramref name="where"/> names the file/tensor in errors.</summary>
    public static Tensor Read(TensorProto t, Device device, string where)
    {
        if (t.DataLocation == TensorProto.Types.DataLocation.External || t.ExternalData.Count > 0)
            throw new NotSupportedException($"{where}: tensor '{t.Name}' keeps its data in an external file; save the model with its weights inside the .onnx file");
        var dims = t.Dims.ToArray();
        long count = 1;
        foreach (var d in dims) count *= d;
        var type = (TensorProto.Types.DataType)t.DataType;
        var raw = t.RawData.Span;
        bool hasRaw = !t.RawData.IsEmpty;

        Tensor cpu = type switch
        {
            TensorProto.Types.DataType.Float => tensor(hasRaw ? Cast<float>(raw, count, where, t.Name) : Check(t.FloatData.ToArray(), count, where, t.Name), dims),
            TensorProto.Types.DataType.Double => tensor(hasRaw ? Cast<double>(raw, count, where, t.Name) : Check(t.DoubleData.ToArray(), count, where, t.Name), dims),
            TensorProto.Types.DataType.Int64 => tensor(hasRaw ? Cast<long>(raw, count, where, t.Name) : Check(t.Int64Data.ToArray(), count, where, t.Name), dims),
            TensorProto.Types.DataType.Int32 => tensor(hasRaw ? Cast<int>(raw, count, where, t.Name) : Check(t.Int32Data.ToArray(), count, where, t.Name), dims),
            TensorProto.Types.DataType.Int16 => tensor(hasRaw ? Cast<short>(raw, count, where, t.Name) : Check(t.Int32Data.Select(v => (short)v).ToArray(), count, where, t.Name), dims),
            TensorProto.Types.DataType.Int8 => tensor(hasRaw ? Cast<sbyte>(raw, count, where, t.Name) : Check(t.Int32Data.Select(v => (sbyte)v).ToArray(), count, where, t.Name), dims),
            TensorProto.Types.DataType.Uint8 => tensor(hasRaw ? Cast<byte>(raw, count, where, t.Name) : Check(t.Int32Data.Select(v => (byte)v).ToArray(), count, where, t.Name), dims),
            TensorProto.Types.DataType.Bool => tensor(hasRaw ? Cast<byte>(raw, count, where, t.Name).Select(b => b != 0).ToArray() : Check(t.Int32Data.Select(v => v != 0).ToArray(), count, where, t.Name), dims),
            // float16 typed data lives in int32_data as raw bit patterns.
            TensorProto.Types.DataType.Float16 => tensor(hasRaw ? Cast<Half>(raw, count, where, t.Name) : Check(t.Int32Data.Select(v => BitConverter.UInt16BitsToHalf((ushort)v)).ToArray(), count, where, t.Name), dims),
            _ => throw new NotSupportedException($"{where}: tensor '{t.Name}' has ONNX data type {type}, which is not supported (float, double, float16, int64, int32, int16, int8, uint8, bool)"),
        };
        if (device.type == DeviceType.CPU) return cpu;
        var moved = cpu.to(device);
        cpu.Dispose();
        return moved;
    }

    /// <summary>The TorchSharp dtype of an ONNX element type (for Cast).</summary>
    public static ScalarType ScalarTypeOf(long onnxType, string where) => (TensorProto.Types.DataType)onnxType switch
    {
        TensorProto.Types.DataType.Float => ScalarType.Float32,
        TensorProto.Types.DataType.Double => ScalarType.Float64,
        TensorProto.Types.DataType.Float16 => ScalarType.Float16,
        TensorProto.Types.DataType.Bfloat16 => ScalarType.BFloat16,
        TensorProto.Types.DataType.Int64 => ScalarType.Int64,
        TensorProto.Types.DataType.Int32 => ScalarType.Int32,
        TensorProto.Types.DataType.Int16 => ScalarType.Int16,
        TensorProto.Types.DataType.Int8 => ScalarType.Int8,
        TensorProto.Types.DataType.Uint8 => ScalarType.Byte,
        TensorProto.Types.DataType.Bool => ScalarType.Bool,
        var other => throw new NotSupportedException($"{where}: ONNX data type {other} is not supported"),
    };

    private static T[] Cast<T>(ReadOnlySpan<byte> raw, long count, string where, string name) where T : unmanaged
    {
        var values = MemoryMarshal.Cast<byte, T>(raw);
        if (values.Length != count)
            throw new InvalidDataException($"{where}: tensor '{name}' has {raw.Length} bytes of raw data, expected {count} values of {Marshal.SizeOf<T>()} bytes");
        return values.ToArray();
    }

    private static T[] Check<T>(T[] values, long count, string where, string name)
    {
        if (values.Length != count)
            throw new InvalidDataException($"{where}: tensor '{name}' has {values.Length} values, its shape needs {count}");
        return values;
    }
}
