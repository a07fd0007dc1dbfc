using Tvp.IO;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Clip;

public class EncodeCommandTests(ITestOutputHelper output)
{
    [SharedFact]
    public void EncodeWritesHfOutputsMatchingTheFixture()
    {
        using var dir = new TempDir();
        var expected = ClipFixture.Expected();
        using var scope = NewDisposeScope();
        var pixelsFile = dir.File("pixels.safetensors");
        SafeTensorFile.Write(pixelsFile, new Dictionary<string, Tensor> { ["pixel_values"] = expected.Read("pixel_values"), ["other"] = zeros(2) });
        var textsFile = dir.File("texts.txt");
        File.WriteAllText(textsFile, "a photo of a cat\nA diagram of CLIP's text tower: 2 layers, 4 heads!\n\na photo of a dog\n");
        var outFile = dir.File("out.safetensors");
        int rc = Tvp.Cli.Program.Main(new[] { "encode", "--model", ClipFixture.Folder, "--pixels", pixelsFile, "--texts", textsFile, "--out", outFile });
        Assert.Equal(0, rc);
        var got = new SafeTensorFile(outFile);
        Assert.Equal(new[] { "image_embeds", "logits_per_image", "text_embeds" }, got.Entries.Keys.OrderBy(k => k, StringComparer.Ordinal));
        double worst = 0;
        foreach (var name in got.Entries.Keys)
        {
            var diff = ClipFixture.MaxAbsDiff(got.Read(name), expected.Read(name));
            output.WriteLine($"{name}: max |diff| = {diff:g3}");
            worst = Math.Max(worst, diff);
        }
        Assert.True(worst <= 1e-4, $"max |diff| {worst:g3}");
    }

    [SharedFact]
    public void MissingPixelValuesIsABadInputError()
    {
        using var dir = new TempDir();
        var pixelsFile = dir.File("pixels.safetensors");
        SafeTensorFile.Write(pixelsFile, new Dictionary<string, Tensor> { ["images"] = zeros(1, 3, 32, 32) });
        int rc = Tvp.Cli.Program.Main(new[] { "encode", "--model", ClipFixture.Folder, "--pixels", pixelsFile, "--out", dir.File("o.safetensors") });
        Assert.Equal(2, rc);
        Assert.False(File.Exists(dir.File("o.safetensors")));
    }

    [SharedFact]
    public void EncodeImagesAppliesClipPreprocessing()
    {
        using var dir = new TempDir();
        var images = new[] { SharedData.Path("data", "cifar10", "test", "cat", "0000.jpg"), SharedData.Path("data", "cifar10", "test", "ship", "0000.jpg") };
        var outFile = dir.File("out.safetensors");
        Assert.Equal(0, Tvp.Cli.Program.Main(new[] { "encode", "--model", ClipFixture.Folder, "--images", images[0], images[1], "--out", outFile }));
        var got = new SafeTensorFile(outFile);
        Assert.Equal(new[] { "image_embeds" }, got.Entries.Keys);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var model = Tvp.Models.Clip.ClipLoader.Load(ClipFixture.Folder);
        // CIFAR images are 32x32 = the tiny model's size: preprocessing is just the CLIP normalisation.
        var mean = tensor(Tvp.Models.ModelInfo.ClipMean).view(1, 3, 1, 1);
        var std = tensor(Tvp.Models.ModelInfo.ClipStd).view(1, 3, 1, 1);
        var px = (stack(images.Select(Tvp.Data.ImageDecoder.Load).ToArray()) - mean) / std;
        var want = Tvp.Models.Clip.ClipModel.Normalize(model.ImageFeatures(px));
        ClipFixture.AssertClose(want, got.Read("image_embeds"), 1e-5, "image_embeds of --images");
    }
}
