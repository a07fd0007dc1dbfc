using System.Text.Json;
using Tvp.IO;
using Tvp.Models.Clip;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Clip;

public class ClipVisionTransformerTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static ClipVisionTransformer LoadTiny()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(ClipFixture.Folder, "config.json")));
        var config = ClipVisionConfig.FromJson(doc.RootElement.GetProperty("vision_config"));
        var tower = new ClipVisionTransformer(config);
        StateDictLoader.Load(tower, Checkpoint.Open(ClipFixture.Folder), keyOf: n => new[] { "vision_model." + n },
            unusedAllowed: k => !k.StartsWith("vision_model.", StringComparison.Ordinal));
        tower.eval();
        return tower;
    }

    [Fact]
    public void ConfigDefaultsAreHfs()
    {
        using var doc = JsonDocument.Parse("{}");
        var c = ClipVisionConfig.FromJson(doc.RootElement);
        Assert.Equal(new ClipVisionConfig(768, 3072, 12, 12, 224, 32, 3, "quick_gelu", 1e-5, 512), c);
    }

    [Fact]
    public void ModuleNamesMirrorHf()
    {
        using var tower = new ClipVisionTransformer(new ClipVisionConfig(HiddenSize: 64, IntermediateSize: 128, NumHiddenLayers: 1, NumAttentionHeads: 4, ImageSize: 32, PatchSize: 8));
        var names = tower.state_dict().Keys.ToHashSet();
        foreach (var n in new[] { "embeddings.class_embedding", "embeddings.patch_embedding.weight", "embeddings.position_embedding.weight",
                     "pre_layrnorm.weight", "pre_layrnorm.bias", "encoder.layers.0.self_attn.q_proj.weight", "encoder.layers.0.self_attn.out_proj.bias",
                     "encoder.layers.0.layer_norm1.weight", "encoder.layers.0.mlp.fc1.weight", "encoder.layers.0.mlp.fc2.bias",
                     "encoder.layers.0.layer_norm2.bias", "post_layernorm.weight" })
            Assert.Contains(n, names);
        Assert.DoesNotContain("embeddings.patch_embedding.bias", names);
        Assert.Equal(23, names.Count); // 3 embeddings + 2 pre-LN + 16 per layer + 2 post-LN
    }

    [SharedFact]
    public void MatchesTinyClipLastHiddenStateAndHiddenStates()
    {
        using var tower = LoadTiny();
        var expected = ClipFixture.Expected();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var pixels = expected.Read("pixel_values");
        var last = tower.forward(pixels);
        ClipFixture.AssertClose(expected.Read("vision_last_hidden_state"), last, 1e-4, "vision_last_hidden_state", output.WriteLine);
        var states = tower.HiddenStates(pixels);
        var expectedStates = expected.Read("vision_hidden_states");
        Assert.Equal(expectedStates.shape[0], states.Count);
        for (int i = 0; i < states.Count; i++)
            ClipFixture.AssertClose(expectedStates[i], states[i], 1e-4, $"vision_hidden_states[{i}]", output.WriteLine);
        ClipFixture.AssertClose(expected.Read("vision_pooler_output"), tower.Pooled(last), 1e-4, "vision_pooler_output", output.WriteLine);
    }
}
