using Tvp.Models;
using Tvp.Models.Clip;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Clip;

public class ClipFamilyAndPreprocessingTests
{
    [SharedFact]
    public void FamilyRecognisesLoadsAndDiscoversClipFolders()
    {
        var family = new ClipFamily();
        Assert.True(family.CanLoad(ClipFixture.Folder));
        Assert.False(family.CanLoad(SharedData.Path("fixtures", "tiny-llama")));
        Assert.False(family.CanLoad(ClipFixture.TokenizerFolder));
        var (path, resolved) = ModelRegistry.Resolve(ClipFixture.Folder);
        Assert.Equal("clip", resolved.Name);
        using var model = family.Load(path, CPU);
        Assert.Equal(32, model.Info.InputSize);
        Assert.Equal(ModelInfo.ClipMean, model.Info.Mean);
        var found = family.Discover(SharedData.Path("fixtures")).ToList();
        Assert.Single(found);
        Assert.Equal("tiny-clip", found[0].Name);
        Assert.Contains("32 px", found[0].Description);
    }

    [Fact]
    public void PlainImagesAreCentreCroppedAndNormalised()
    {
        var info = new ModelInfo("t", "clip", 32, ModelInfo.ClipMean, ModelInfo.ClipStd, "bicubic");
        using var scope = NewDisposeScope();
        // Shortest edge already 32: only the centre crop (columns 8..39) and the normalisation apply.
        var image = rand(3, 32, 48, generator: new TorchSharp.torch.Generator(5));
        var got = ClipImageProcessor.Preprocess(image, info);
        var mean = tensor(ModelInfo.ClipMean).view(3, 1, 1);
        var std = tensor(ModelInfo.ClipStd).view(3, 1, 1);
        var want = (image[.., .., TensorIndex.Slice(8, 40)] - mean) / std;
        ClipFixture.AssertClose(want, got, 1e-6, "crop");
        // A larger constant image: resized (bicubic, antialiased) then cropped; constants stay constant.
        var flat = full(3, 100, 70, 0.25f);
        var out2 = ClipImageProcessor.Preprocess(flat, info);
        Assert.Equal(new long[] { 3, 32, 32 }, out2.shape);
        ClipFixture.AssertClose(((full(3, 32, 32, 0.25f) - mean) / std), out2, 1e-5, "constant image");
    }
}
