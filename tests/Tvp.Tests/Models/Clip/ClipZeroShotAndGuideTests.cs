using Tvp.Models;
using Tvp.Models.Clip;
using Tvp.Data;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Clip;

public class ClipZeroShotAndGuideTests
{
    /// <summary>The fixture's normalised pixel values mapped back to raw pixel space (what models receive).</summary>
    private static Tensor RawPixels(Tensor pixelValues)
    {
        var mean = tensor(ModelInfo.ClipMean).view(1, 3, 1, 1);
        var std = tensor(ModelInfo.ClipStd).view(1, 3, 1, 1);
        return pixelValues * std + mean;
    }

    [SharedFact]
    public void ZeroShotScoresAreClipLogitsAndLossIsCrossEntropy()
    {
        using var model = ClipZeroShotPromptable.Load(ClipFixture.Folder, CPU, templates: new[] { "a photo of a {}" });
        Assert.Equal(32, model.Info.InputSize);
        Assert.Equal("bicubic", model.Info.Interpolation);
        var expected = ClipFixture.Expected();
        using var scope = NewDisposeScope();
        var raw = RawPixels(expected.Read("pixel_values"));
        var logits = expected.Read("logits_per_image"); // texts: cat, diagram, "", dog
        var batch = TaskBatch.Classification(new[] { "cat", "dog" }, new[] { 0, 1, 1 });
        var scores = model.Score(raw, batch);
        var want = logits.index_select(1, tensor(new long[] { 0, 3 }));
        ClipFixture.AssertClose(want, scores, 1e-4, "zero-shot scores");
        var loss = model.TaskLoss(raw, batch);
        var wantLoss = nn.functional.cross_entropy(want, tensor(new long[] { 0, 1, 1 }));
        Assert.Equal(wantLoss.item<float>(), loss.item<float>(), 4);
        ClipFixture.AssertClose(expected.Read("image_embeds"), model.ImageFeatures(raw), 1e-4, "image features");

        // Gradients reach the pixels, not the frozen weights.
        var px = raw.clone().requires_grad_(true);
        model.TaskLoss(px, batch).backward();
        Assert.True(px.grad is not null && px.grad.abs().sum().item<float>() > 0);
        Assert.All(model.Model.parameters(), p => Assert.Null(p.grad));
    }

    [SharedFact]
    public void QuestionTemplateTemplateAveragingAndRaggedCandidates()
    {
        using var model = ClipZeroShotPromptable.Load(ClipFixture.Folder, CPU);
        Assert.Equal(new[] { "This is a photo of a {}" }, model.TemplatesFor(TaskBatch.PhotoQuestion));
        Assert.Equal(new[] { "a photo of a {}" }, model.TemplatesFor("a photo of a"));
        var expected = ClipFixture.Expected();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var raw = RawPixels(expected.Read("pixel_values"));
        var textEmbeds = expected.Read("text_embeds");
        var logits = expected.Read("logits_per_image");

        // Two templates whose texts are the fixture's "a photo of a cat" and "a photo of a dog": the class
        // embedding is the renormalised mean of the two text embeddings.
        var avg = model.ClassEmbeddings(new[] { "" }, new[] { "a photo of a cat{}", "a photo of a dog{}" });
        var wantAvg = textEmbeds[0] + textEmbeds[3];
        wantAvg = wantAvg / wantAvg.norm();
        ClipFixture.AssertClose(wantAvg.unsqueeze(0), avg, 1e-4, "template-averaged class embedding");

        // Rows with their own questions and candidate lists; shorter rows padded with -inf.
        var batch = new TaskBatch(
            new[] { "a photo of a", "a photo of a", "" },
            new IReadOnlyList<string>[] { new[] { "cat", "dog" }, new[] { "dog" }, new[] { "", "a photo of a dog" } },
            new[] { 0, 0, 1 });
        var scores = model.Score(raw, batch);
        Assert.Equal(new long[] { 3, 2 }, scores.shape);
        Assert.Equal(logits[0, 0].item<float>(), scores[0, 0].item<float>(), 4);
        Assert.Equal(logits[0, 3].item<float>(), scores[0, 1].item<float>(), 4);
        Assert.Equal(logits[1, 3].item<float>(), scores[1, 0].item<float>(), 4);
        Assert.True(float.IsNegativeInfinity(scores[1, 1].item<float>()));
        Assert.Equal(logits[2, 2].item<float>(), scores[2, 0].item<float>(), 4);
        Assert.Equal(logits[2, 3].item<float>(), scores[2, 1].item<float>(), 4);
    }

    [SharedFact]
    public void GuideEncodesCachesAndComputesMatchedSimilarity()
    {
        using var guide = ClipGuide.Load(ClipFixture.Folder, CPU);
        var expected = ClipFixture.Expected();
        using var scope = NewDisposeScope();
        var raw = RawPixels(expected.Read("pixel_values"));
        var texts = new[] { "a photo of a cat", "A diagram of CLIP's text tower: 2 layers, 4 heads!", "", "a photo of a dog" };
        ClipFixture.AssertClose(expected.Read("text_embeds"), guide.EncodeText(texts), 1e-4, "guide text embeds");
        Assert.Equal(4, guide.CachedTexts);
        guide.EncodeText(new[] { "a photo of a dog", "a photo of a cat" });
        Assert.Equal(4, guide.CachedTexts);
        using (no_grad())
            ClipFixture.AssertClose(expected.Read("image_embeds"), guide.EncodeImage(raw), 1e-4, "guide image embeds");
        Assert.Equal(Math.Exp(3.0), guide.LogitScale, 4);

        // S = logit_scale · mean_i cos(img_i, txt_i): image i with text i (matched pairs only).
        var px = raw.clone().requires_grad_(true);
        var s = guide.MatchedSimilarity(px, texts[..3]);
        var logits = expected.Read("logits_per_image");
        var want = (logits[0, 0] + logits[1, 1] + logits[2, 2]) / 3;
        Assert.Equal(want.item<float>(), s.item<float>(), 4);
        s.backward();
        Assert.True(px.grad is not null && px.grad.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void GuideClampsTheLogitScaleTo100()
    {
        using var dir = new TempDir();
        var config = new ClipConfig(
            new ClipTextConfig(VocabSize: 300, HiddenSize: 16, IntermediateSize: 32, NumHiddenLayers: 1, NumAttentionHeads: 2),
            new ClipVisionConfig(HiddenSize: 16, IntermediateSize: 32, NumHiddenLayers: 1, NumAttentionHeads: 2, ImageSize: 16, PatchSize: 8),
            ProjectionDim: 8, LogitScaleInitValue: 5.0);
        ClipCheckpointWriter.WriteRandom(dir.File("c"), config, seed: 2, tokenizerFolder: dir.Path);
        File.WriteAllText(dir.File("c/vocab.json"), "{\"a</w>\": 0, \"<|startoftext|>\": 1, \"<|endoftext|>\": 2}");
        File.WriteAllText(dir.File("c/merges.txt"), "#version: 0.2\n");
        using var guide = ClipGuide.Load(dir.File("c"), CPU);
        Assert.Equal(100.0, guide.LogitScale);
    }
}
