using System.Text.Json;
using Tvp.IO;
using Tvp.Models.Clip;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Clip;

public class ClipCheckpointErrorTests
{
    private static ClipConfig Small => new(
        new ClipTextConfig(VocabSize: 300, HiddenSize: 16, IntermediateSize: 32, NumHiddenLayers: 1, NumAttentionHeads: 2, MaxPositionEmbeddings: 20),
        new ClipVisionConfig(HiddenSize: 16, IntermediateSize: 32, NumHiddenLayers: 1, NumAttentionHeads: 2, ImageSize: 16, PatchSize: 8),
        ProjectionDim: 8);

    private static Dictionary<string, Tensor> ReadAll(string file)
    {
        var f = new SafeTensorFile(file);
        return f.Entries.Keys.ToDictionary(k => k, f.Read);
    }

    private static string WriteSmall(TempDir dir)
    {
        var folder = dir.File("clip");
        ClipCheckpointWriter.WriteRandom(folder, Small, seed: 1, tokenizerFolder: dir.Path);
        return folder;
    }

    [Fact]
    public void RandomCheckpointRoundTripsAndShardedCheckpointLoads()
    {
        using var dir = new TempDir();
        var folder = WriteSmall(dir);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var model = ClipLoader.Load(folder);
        Assert.Equal(Small, model.Config);
        var pixels = randn(2, 3, 16, 16, generator: new TorchSharp.torch.Generator(3));
        var reference = model.ImageFeatures(pixels);

        // Re-shard into two files with an index, remove the single file, and load again.
        var all = ReadAll(Path.Combine(folder, "model.safetensors"));
        var names = all.Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray();
        var first = names.Take(names.Length / 2).ToDictionary(n => n, n => all[n]);
        var second = names.Skip(names.Length / 2).ToDictionary(n => n, n => all[n]);
        SafeTensorFile.Write(Path.Combine(folder, "model-00001-of-00002.safetensors"), first);
        SafeTensorFile.Write(Path.Combine(folder, "model-00002-of-00002.safetensors"), second);
        var map = first.Keys.ToDictionary(k => k, _ => "model-00001-of-00002.safetensors")
            .Concat(second.Keys.ToDictionary(k => k, _ => "model-00002-of-00002.safetensors")).ToDictionary(kv => kv.Key, kv => kv.Value);
        File.WriteAllText(Path.Combine(folder, "model.safetensors.index.json"), JsonSerializer.Serialize(new { metadata = new { }, weight_map = map }));
        File.Delete(Path.Combine(folder, "model.safetensors"));
        using var sharded = ClipLoader.Load(folder);
        Assert.Equal(0.0, ClipFixture.MaxAbsDiff(sharded.ImageFeatures(pixels), reference));
    }

    [Fact]
    public void WrongShapeAndMissingTensorAreNamed()
    {
        using var dir = new TempDir();
        var folder = WriteSmall(dir);
        var file = Path.Combine(folder, "model.safetensors");
        var all = ReadAll(file);
        all["text_projection.weight"] = zeros(8, 15);
        all.Remove("vision_model.encoder.layers.0.mlp.fc1.bias");
        SafeTensorFile.Write(file, all);
        var e = Assert.Throws<InvalidDataException>(() => ClipLoader.Load(folder));
        Assert.Contains(folder, e.Message);
        Assert.Contains("'text_projection.weight' has shape [8,15], expected [8,16]", e.Message);
        Assert.Contains("missing tensor 'vision_model.encoder.layers.0.mlp.fc1.bias'", e.Message);
    }

    [Fact]
    public void CorruptHeaderNamesTheFile()
    {
        using var dir = new TempDir();
        var folder = WriteSmall(dir);
        var file = Path.Combine(folder, "model.safetensors");
        var bytes = File.ReadAllBytes(file);
        for (int i = 8; i < 40; i++) bytes[i] = (byte)'#';
        File.WriteAllBytes(file, bytes);
        var e = Assert.Throws<InvalidDataException>(() => ClipLoader.Load(folder));
        Assert.Contains(file, e.Message);
        Assert.Contains("corrupt safetensors header", e.Message);
    }

    [Fact]
    public void PickledCheckpointIsRefusedAndWrongModelTypeIsNamed()
    {
        using var dir = new TempDir();
        var folder = WriteSmall(dir);
        File.Delete(Path.Combine(folder, "model.safetensors"));
        File.WriteAllBytes(Path.Combine(folder, "pytorch_model.bin"), new byte[] { 0x80, 0x02 });
        var e = Assert.Throws<NotSupportedException>(() => ClipLoader.Load(folder));
        Assert.Contains("pytorch_model.bin", e.Message);

        File.WriteAllText(Path.Combine(folder, "config.json"), "{\"model_type\": \"llama\"}");
        var e2 = Assert.Throws<InvalidDataException>(() => ClipLoader.Load(folder));
        Assert.Contains("model_type is 'llama'", e2.Message);
    }
}
