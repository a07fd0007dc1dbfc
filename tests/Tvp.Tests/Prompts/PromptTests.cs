using Tvp.Prompts;
using static TorchSharp.torch;

namespace Tvp.Tests.Prompts;

public class PromptTests
{
    [Fact]
    public void PaddingMaskIsTheBorder()
    {
        using var m = PromptMask.Create(PromptShape.Padding, 224, 30);
        Assert.Equal(new long[] { 1, 224, 224 }, m.shape);
        Assert.Equal(224 * 224 - 164 * 164, (int)m.sum().item<float>());
        Assert.Equal(0f, m[0, 30, 30].item<float>());
        Assert.Equal(0f, m[0, 193, 193].item<float>());
        Assert.Equal(1f, m[0, 29, 100].item<float>());
        Assert.Equal(1f, m[0, 194, 100].item<float>());
        Assert.Equal(1f, m[0, 100, 0].item<float>());
    }

    [Fact]
    public void PatchAndFullMasks()
    {
        using var fixedPatch = PromptMask.Create(PromptShape.FixedPatch, 32, 5);
        Assert.Equal(25, (int)fixedPatch.sum().item<float>());
        Assert.Equal(1f, fixedPatch[0, 4, 4].item<float>());
        Assert.Equal(0f, fixedPatch[0, 5, 0].item<float>());
        using var full = PromptMask.Create(PromptShape.Full, 32, 5);
        Assert.Equal(32 * 32, (int)full.sum().item<float>());
        Assert.Throws<ArgumentException>(() => PromptMask.Create(PromptShape.Padding, 32, 16));
        Assert.Throws<ArgumentException>(() => PromptShapes.Parse("triangle"));
        Assert.Equal(PromptShape.RandomPatch, PromptShapes.Parse("random-patch"));
    }

    [Fact]
    public void CanvasPipelinePadsWithZerosAndCentres()
    {
        var pipe = new CanvasPipeline(16, 8);
        using var img = ones(3, 4, 4) * 0.5f;
        using var canvas = pipe.ToCanvas(new[] { img }, training: false);
        Assert.Equal(new long[] { 1, 3, 16, 16 }, canvas.shape);
        Assert.Equal(0f, canvas[0, .., ..4, ..].abs().sum().item<float>());
        Assert.Equal(0f, canvas[0, .., .., 12..].abs().sum().item<float>());
        Assert.Equal(0.5f, canvas[0, 1, 8, 8].item<float>(), 4);
        // Evaluation is deterministic; training augmentation depends on the generator.
        using var img2 = rand(3, 10, 13);
        using var a = pipe.ToCanvas(new[] { img2 }, false);
        using var b = pipe.ToCanvas(new[] { img2 }, false);
        Assert.True(a.allclose(b, 0, 0));
        using var t1 = pipe.ToCanvas(new[] { img2, img2, img2, img2 }, true, new Random(1));
        using var t2 = pipe.ToCanvas(new[] { img2, img2, img2, img2 }, true, new Random(1));
        using var t3 = pipe.ToCanvas(new[] { img2, img2, img2, img2 }, true, new Random(2));
        Assert.True(t1.allclose(t2, 0, 0));
        Assert.False(t1.allclose(t3, 0, 0));
        Assert.Throws<ArgumentException>(() => new CanvasPipeline(16, 20));
    }

    [Fact]
    public void PromptAddsMaskedDeltaAndGetsGradient()
    {
        using var p = new VisualPrompt(PromptShape.Padding, 16, 4);
        using var init = ones(3, 16, 16);
        p.SetValues(init);
        using var canvas = zeros(2, 3, 16, 16);
        using var y = p.Apply(canvas);
        Assert.Equal(1f, y[0, 0, 0, 0].item<float>());
        Assert.Equal(0f, y[1, 2, 8, 8].item<float>());
        y.sum().backward();
        Assert.NotNull(p.Delta.grad);
        Assert.Equal(2 * (16 * 16 - 8 * 8), (int)p.Delta.grad![0].sum().item<float>()); // batch of 2
        Assert.Throws<ArgumentException>(() => p.Apply(zeros(1, 3, 8, 8)));
    }

    [Fact]
    public void RandomPatchMovesWhileTrainingAndStaysAtEvaluation()
    {
        using var p = new VisualPrompt(PromptShape.RandomPatch, 16, 4);
        p.SetValues(ones(3, 16, 16));
        using var canvas = zeros(1, 3, 16, 16);
        using var eval = p.Apply(canvas);
        Assert.Equal(16f * 3, eval.sum().item<float>());
        Assert.Equal(1f, eval[0, 0, 0, 0].item<float>());
        var positions = new HashSet<string>();
        for (int s = 0; s < 8; s++)
        {
            using var tr = p.Apply(canvas, training: true, new Random(s));
            Assert.Equal(16f * 3, tr.sum().item<float>()); // the whole patch, never wrapped
            var nz = tr[0, 0].nonzero();
            positions.Add($"{nz[0, 0].item<long>()},{nz[0, 1].item<long>()}");
        }
        Assert.True(positions.Count > 1);
    }

    [Fact]
    public void PromptFileRoundTripsAndResizesWithWarning()
    {
        using var dir = new TempDir();
        var path = dir.File("p.safetensors");
        using var p = new VisualPrompt(PromptShape.Padding, 32, 4);
        using var v = rand(3, 32, 32);
        p.SetValues(v);
        PromptFile.Save(path, p, new PromptMetadata(PromptShape.Padding, 32, 24, 4, "src-model", "toy", 0.005, 0.001));
        Assert.True(File.Exists(dir.File("p.png")));
        var (q, meta) = PromptFile.Load(path);
        using (q)
        {
            Assert.Equal("src-model", meta.SourceModel);
            Assert.Equal(24, meta.ImageSize);
            using var a = p.Values();
            using var b = q.Values();
            Assert.True(a.allclose(b));
        }
        var warnings = new List<string>();
        var (r, meta2) = PromptFile.Load(path, canvasSize: 64, warn: warnings.Add);
        using (r)
        {
            Assert.Single(warnings);
            Assert.Equal(64, meta2.CanvasSize);
            Assert.Equal(8, meta2.PromptSize);
            Assert.Equal(new long[] { 3, 64, 64 }, r.Delta.shape);
        }
    }

    [Fact]
    public void PromptFileOfAnotherShapeIsRejected()
    {
        using var dir = new TempDir();
        var path = dir.File("bad.safetensors");
        using var t = zeros(3, 32, 16);
        Tvp.IO.SafeTensorFile.Write(path, new Dictionary<string, Tensor> { ["prompt"] = t });
        var e = Assert.Throws<InvalidDataException>(() => PromptFile.Load(path));
        Assert.Contains("bad.safetensors", e.Message);
        Assert.Contains("[3,32,16]", e.Message);
        var other = dir.File("other.safetensors");
        Tvp.IO.SafeTensorFile.Write(other, new Dictionary<string, Tensor> { ["weights"] = t });
        Assert.Contains("not a prompt file", Assert.Throws<InvalidDataException>(() => PromptFile.Load(other)).Message);
    }
}
