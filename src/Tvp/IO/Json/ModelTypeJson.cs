namespace Tvp.IO.Json;

/// <summary>Just the <c>model_type</c> key of an HF config (to choose the record that reads the rest).</summary>
/// <param name="ModelType">model_type.</param>
internal sealed record ModelTypeJson(string? ModelType);
