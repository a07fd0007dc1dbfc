using static TorchSharp.torch;

namespace Tvp.IO;

/// <summary>The dtype model weights are kept in (<c>--dtype</c>).</summary>
public enum WeightDType
{
    /// <summary>The checkpoint's <c>torch_dtype</c> (config.json), else the dtype its floating tensors are stored in.</summary>
    Auto,
    /// <summary>bfloat16.</summary>
    BFloat16,
    /// <summary>float16.</summary>
    Float16,
    /// <summary>float32.</summary>
    Float32,
}

/// <summary>Parsing and resolution of <see cref="WeightDType"/>.</summary>
public static class WeightDTypes
{
    /// <summary>The command-line spellings, in order.</summary>
    public static readonly IReadOnlyList<string> Names = new[] { "auto", "bf16", "fp16", "fp32" };

    /// <summary>Parses <c>auto | bf16 | fp16 | fp32</c> (also <c>bfloat16</c>, <c>float16</c>, <c>float32</c>).</summary>
    /// <exception cref="ArgumentException">Unknown spelling (the message names the flag and the choices).</exception>
    public static WeightDType Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "auto" => WeightDType.Auto,
        "bf16" or "bfloat16" => WeightDType.BFloat16,
        "fp16" or "float16" or "half" => WeightDType.Float16,
        "fp32" or "float32" or "float" => WeightDType.Float32,
        _ => throw new ArgumentException($"--dtype: unknown dtype '{text}' (expected {string.Join(" | ", Names)})"),
    };

    /// <summary>The torch dtype of an explicit choice, or null for <see cref="WeightDType.Auto"/>.</summary>
    public static ScalarType? ToScalarType(this WeightDType d) => d switch
    {
        WeightDType.BFloat16 => ScalarType.BFloat16,
        WeightDType.Float16 => ScalarType.Float16,
        WeightDType.Float32 => ScalarType.Float32,
        _ => null,
    };

    /// <summary>The torch dtype of an HF <c>torch_dtype</c> string (<c>float16</c>, <c>bfloat16</c>, <c>float32</c>), or null.</summary>
    public static ScalarType? FromTorchDTypeName(string? name) => name switch
    {
        "float16" or "torch.float16" or "half" => ScalarType.Float16,
        "bfloat16" or "torch.bfloat16" => ScalarType.BFloat16,
        "float32" or "torch.float32" or "float" => ScalarType.Float32,
        _ => null,
    };

    /// <summary>True for the floating dtypes that weights may be converted between.</summary>
    public static bool IsFloatingWeight(ScalarType t) =>
        t is ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float64;
}
