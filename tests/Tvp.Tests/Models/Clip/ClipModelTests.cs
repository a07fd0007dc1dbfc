using Tvp.IO.Tokenizers;
using Tvp.Models.Clip;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Clip;

public class ClipModelTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [SharedFact]
    public void MatchesTinyClipGoldens()
    {
        using var model = ClipLoader.Load(ClipFixture.Folder);
        var expected = ClipFixture.Expected();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var pixels = expected.Read("pixel_values");
        var ids = expected.Read("input_ids");

        ClipFixture.AssertClose(expected.Read("text_eos_index"), model.Text.EosIndex(ids).to_type(ScalarType.Int64), 0, "text_eos_index", output.WriteLine);
        var textLast = model.Text.forward(ids);
        ClipFixture.AssertClose(expected.Read("text_last_hidden_state"), textLast, 1e-4, "text_last_hidden_state", output.WriteLine);
        var textStates = model.Text.HiddenStates(ids);
        var expectedTextStates = expected.Read("text_hidden_states");
        Assert.Equal(expectedTextStates.shape[0], textStates.Count);
        for (int i = 0; i < textStates.Count; i++)
            ClipFixture.AssertClose(expectedTextStates[i], textStates[i], 1e-4, $"text_hidden_states[{i}]", output.WriteLine);
        ClipFixture.AssertClose(expected.Read("text_pooler_output"), model.Text.Pooled(ids, textLast), 1e-4, "text_pooler_output", output.WriteLine);

        var imageFeatures = model.ImageFeatures(pixels);
        var textFeatures = model.TextFeatures(ids);
        ClipFixture.AssertClose(expected.Read("image_features"), imageFeatures, 1e-4, "image_features", output.WriteLine);
        ClipFixture.AssertClose(expected.Read("text_features"), textFeatures, 1e-4, "text_features", output.WriteLine);
        var imageEmbeds = ClipModel.Normalize(imageFeatures);
        var textEmbeds = ClipModel.Normalize(textFeatures);
        ClipFixture.AssertClose(expected.Read("image_embeds"), imageEmbeds, 1e-4, "image_embeds", output.WriteLine);
        ClipFixture.AssertClose(expected.Read("text_embeds"), textEmbeds, 1e-4, "text_embeds", output.WriteLine);

        Assert.Equal(Math.Exp(3.0), model.LogitScale, 4); // the weight, not the config's 2.6592
        var logits = imageEmbeds.matmul(textEmbeds.t()) * model.LogitScale;
        ClipFixture.AssertClose(expected.Read("logits_per_image"), logits, 1e-4, "logits_per_image", output.WriteLine);
    }

    [SharedFact]
    public void TokenizerAndEosPaddingGiveTheSameTextFeatures()
    {
        using var model = ClipLoader.Load(ClipFixture.Folder);
        var tok = ClipTokenizer.FromFolder(ClipFixture.Folder);
        var expected = ClipFixture.Expected();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var texts = new[] { "a photo of a cat", "A diagram of CLIP's text tower: 2 layers, 4 heads!", "", "a photo of a dog" };
        // Zero padding to 77 reproduces the fixture's input_ids exactly.
        var zeroPadded = tensor(tok.EncodeBatch(texts, padTo: 77, padId: 0));
        Assert.Equal(expected.Read("input_ids").data<long>().ToArray(), zeroPadded.data<long>().ToArray());
        // HF-style padding with the end token, to the longest row only, gives the same features.
        var ids = tensor(tok.EncodeBatch(texts));
        Assert.Equal(16, ids.shape[1]);
        ClipFixture.AssertClose(expected.Read("text_features"), model.TextFeatures(ids), 1e-4, "text_features (eos-padded, length 16)");
    }

    [SharedFact]
    public void VisionLoaderReadsTheTowerFromAClipFolder()
    {
        using var tower = ClipLoader.LoadVision(ClipFixture.Folder);
        var expected = ClipFixture.Expected();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        ClipFixture.AssertClose(expected.Read("vision_last_hidden_state"), tower.forward(expected.Read("pixel_values")), 1e-4, "vision_last_hidden_state");
    }

    [SharedFact]
    public void LegacyEosIdTwoPoolsAtArgmax()
    {
        var expected = ClipFixture.Expected();
        using var scope = NewDisposeScope();
        var ids = expected.Read("input_ids");
        using var legacy = new ClipTextTransformer(new ClipTextConfig(VocabSize: 49408, HiddenSize: 8, IntermediateSize: 16, NumHiddenLayers: 1, NumAttentionHeads: 2, BosTokenId: 0, EosTokenId: 2));
        Assert.Equal(expected.Read("text_eos_index").data<long>().ToArray(), legacy.EosIndex(ids).data<long>().ToArray());
    }

    [SharedFact]
    public void VisionLoaderReadsAClipVisionModelFolder()
    {
        using var dir = new TempDir();
        var source = new Tvp.IO.SafeTensorFile(Path.Combine(ClipFixture.Folder, "model.safetensors"));
        using var scope = NewDisposeScope();
        var visionOnly = source.Entries.Keys.Where(k => k.StartsWith("vision_model.", StringComparison.Ordinal)).ToDictionary(k => k, source.Read);
        Tvp.IO.SafeTensorFile.Write(dir.File("model.safetensors"), visionOnly);
        using (var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(ClipFixture.Folder, "config.json"))))
        {
            var vision = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, object>>(doc.RootElement.GetProperty("vision_config").GetRawText())!;
            vision["model_type"] = "clip_vision_model";
            File.WriteAllText(dir.File("config.json"), System.Text.Json.JsonSerializer.Serialize(vision));
        }
        using var tower = ClipLoader.LoadVision(dir.Path);
        var expected = ClipFixture.Expected();
        using var _ = no_grad();
        ClipFixture.AssertClose(expected.Read("vision_last_hidden_state"), tower.forward(expected.Read("pixel_values")), 1e-4, "vision_last_hidden_state");
        var e = Assert.Throws<InvalidDataException>(() => ClipLoader.Load(dir.Path));
        Assert.Contains("clip_vision_model", e.Message);
    }
}
