namespace Tvp.Experiments.Study;

/// <summary>shard.json: which block of the test images an eval shard folder scored.</summary>
/// <param name="Kind">kind: "eval".</param>
/// <param name="Index">index: the shard, 0-based.</param>
/// <param name="Count">count: the number of shards.</param>
/// <param name="TestImages">test_images: the images this shard scored.</param>
internal sealed record ShardFileJson(string? Kind, int? Index, int? Count, int? TestImages);
