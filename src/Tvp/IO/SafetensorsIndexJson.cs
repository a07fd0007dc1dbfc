namespace Tvp.IO;

/// <summary><c>model.safetensors.index.json</c> of a sharded checkpoint (only what the loader uses).</summary>
/// <param name="WeightMap">weight_map: tensor name → shard file name (relative to the index).</param>
internal sealed record SafetensorsIndexJson(IReadOnlyDictionary<string, string>? WeightMap);
