namespace Tvp.IO;

/// <summary>The <c>torch_dtype</c> of an HF config.json (the dtype its weights are stored in).</summary>
/// <param name="TorchDtype">torch_dtype, e.g. "float16".</param>
internal sealed record TorchDTypeJson(string? TorchDtype);
