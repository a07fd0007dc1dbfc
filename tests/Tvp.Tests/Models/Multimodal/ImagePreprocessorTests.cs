using Tvp.Models.Multimodal;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Multimodal;

/// <summary>preprocessor_config.json: shortest-edge resize + centre crop (CLIP), fixed height/width (BLIP), mean/std.</summary>
public sealed class ImagePreprocessorTests
{
    [Fact]
    public void Shortest_edge_then_centre_crop_then_normalise()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("preprocessor_config.json"),
            """{"do_resize": true, "size": {"shortest_edge": 8}, "do_center_crop": true, "crop_size": {"height": 8, "width": 8}, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.25, 0.25, 0.25]}""");
        var pre = ImagePreprocessor.FromFolder(tmp.Path, 99, new[] { 0f, 0f, 0f }, new[] { 1f, 1f, 1f });
        Assert.Equal(8, pre.OutputSize);
        using var scope = NewDisposeScope();
        var image = rand(3, 8, 16, generator: new Generator(1));                 // already 8 high: no resize, crop columns 4..11
        var x = pre.Preprocess(image);
        Assert.Equal(new long[] { 1, 3, 8, 8 }, x.shape);
        var expected = (image.narrow(2, 4, 8) - 0.5) / 0.25;
        Assert.True((x[0] - expected).abs().max().item<float>() < 1e-6);
    }

    [Fact]
    public void Blip_height_and_width_resize_without_crop_and_defaults_without_a_file()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("preprocessor_config.json"), """{"size": {"height": 4, "width": 4}, "resample": 2}""");
        var pre = ImagePreprocessor.FromFolder(tmp.Path, 99, new[] { 0.1f, 0.2f, 0.3f }, new[] { 1f, 1f, 1f });
        Assert.Equal(4, pre.OutputSize);
        Assert.Null(pre.CropSize);
        Assert.Equal("bilinear", pre.Interpolation);
        using var scope = NewDisposeScope();
        Assert.Equal(new long[] { 1, 3, 4, 4 }, pre.Preprocess(ones(3, 8, 12)).shape);
        var none = ImagePreprocessor.FromFolder(Path.Combine(tmp.Path, "missing"), 32, new[] { 0f, 0f, 0f }, new[] { 1f, 1f, 1f });
        Assert.Equal(32, none.OutputSize);
        File.WriteAllText(tmp.File("preprocessor_config.json"), """{"image_mean": [0.5, 0.5]}""");
        var e = Assert.Throws<InvalidDataException>(() => ImagePreprocessor.FromFolder(tmp.Path, 8, new[] { 0f, 0f, 0f }, new[] { 1f, 1f, 1f }));
        Assert.Contains("image_mean", e.Message);
    }
}
