using Tvp.Data;
using static TorchSharp.torch;

namespace Tvp.Tests.Data;

public class CorruptionsTests
{
    /// <summary>32×32 test image: red and green ramps (0.2–0.8) and a blue 7-px checkerboard (a period that no severity's pixelate grid divides) (0.25/0.75).</summary>
    private static Tensor Scene()
    {
        var px = new float[3 * 32 * 32];
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 32; x++)
            {
                px[y * 32 + x] = 0.2f + 0.6f * x / 31;
                px[1024 + y * 32 + x] = 0.2f + 0.6f * y / 31;
                px[2048 + y * 32 + x] = ((x / 7) + (y / 7)) % 2 == 0 ? 0.25f : 0.75f;
            }
        return tensor(px, new long[] { 3, 32, 32 });
    }

    private static float MeanAbsDiff(Tensor a, Tensor b) => (a - b).abs().mean().item<float>();

    private static float[] Rgb(Tensor img, int y, int x) => new[] { img[0, y, x].item<float>(), img[1, y, x].item<float>(), img[2, y, x].item<float>() };

    public static TheoryData<string> AllNames() => new(Corruptions.Names);

    [Fact]
    public void Names_CoverTheFourKinds()
    {
        Assert.True(Corruptions.Names.Count >= 8);
        Assert.Equal(Corruptions.Names.Count, Corruptions.Names.Distinct().Count());
        Assert.Equal(new[] { "blur", "digital", "noise", "weather" }, Corruptions.Names.Select(Corruptions.KindOf).Distinct().Order());
        foreach (var n in new[] { "gaussian_noise", "shot_noise", "impulse_noise", "defocus_blur", "motion_blur", "fog", "brightness", "contrast", "pixelate", "jpeg_compression" })
            Assert.Contains(n, Corruptions.Names);
    }

    [Theory]
    [MemberData(nameof(AllNames))]
    public void EachCorruption_ChangesImage_GrowsWithSeverity_KeepsShapeAndRange_Deterministic(string name)
    {
        using var clean = Scene();
        using var s1 = Corruptions.Apply(clean, name, 1, seed: 7);
        using var s5 = Corruptions.Apply(clean, name, 5, seed: 7);
        using var again = Corruptions.Apply(clean, name, 5, seed: 7);
        foreach (var t in new[] { s1, s5 })
        {
            Assert.Equal(clean.shape, t.shape);
            Assert.Equal(ScalarType.Float32, t.dtype);
            Assert.InRange(t.min().item<float>(), 0f, 1f);
            Assert.InRange(t.max().item<float>(), 0f, 1f);
        }
        float d1 = MeanAbsDiff(s1, clean), d5 = MeanAbsDiff(s5, clean);
        Assert.True(d1 > 1e-4f, $"{name} severity 1 leaves the image unchanged (mean |Δ| = {d1})");
        Assert.True(d5 > d1, $"{name}: severity 5 (mean |Δ| = {d5:G4}) should differ more from clean than severity 1 ({d1:G4})");
        Assert.True(again.eq(s5).all().item<bool>(), $"{name} is not deterministic for a fixed seed");
        Assert.True(clean.eq(Scene()).all().item<bool>(), $"{name} modified its input");
    }

    [SharedFact]
    public void OnRealCifarImages_SeverityFiveDiffersMoreThanSeverityOne()
    {
        var test = new ImageFolderDataset(SharedData.Path("data", "cifar10", "test"));
        foreach (int index in new[] { 0, 3000, 8123 })
        {
            using var clean = test.LoadImage(index);
            foreach (var name in Corruptions.Names)
            {
                using var s1 = Corruptions.Apply(clean, name, 1, index);
                using var s5 = Corruptions.Apply(clean, name, 5, index);
                float d1 = MeanAbsDiff(s1, clean), d5 = MeanAbsDiff(s5, clean);
                Assert.True(d1 > 1e-4f && d5 > d1, $"{name} on {test.Describe(index)}: mean |Δ| severity 1 = {d1:G4}, severity 5 = {d5:G4}");
            }
        }
    }

    [Theory]
    [InlineData("gaussian_noise")]
    [InlineData("shot_noise")]
    [InlineData("impulse_noise")]
    [InlineData("speckle_noise")]
    [InlineData("glass_blur")]
    [InlineData("motion_blur")]
    [InlineData("snow")]
    [InlineData("fog")]
    public void RandomCorruptions_DependOnTheSeed(string name)
    {
        using var clean = Scene();
        using var a = Corruptions.Apply(clean, name, 3, seed: 1);
        using var b = Corruptions.Apply(clean, name, 3, seed: 2);
        Assert.False(a.eq(b).all().item<bool>(), $"{name} gave the same image for seeds 1 and 2");
    }

    [Fact]
    public void NoiseStatistics_MatchTheTables()
    {
        using var grey = full(new long[] { 3, 64, 64 }, 0.5f);
        using var gauss = Corruptions.Apply(grey, "gaussian_noise", 5, 3) - grey;     // σ = 0.10
        Assert.InRange(gauss.std().item<float>(), 0.095f, 0.105f);
        Assert.InRange(gauss.mean().item<float>(), -0.005f, 0.005f);
        using var shot = Corruptions.Apply(grey, "shot_noise", 5, 3) - grey;          // Poisson(25)/50: σ = √(0.5/50) = 0.1
        Assert.InRange(shot.std().item<float>(), 0.095f, 0.105f);
        using var impulse = Corruptions.Apply(grey, "impulse_noise", 5, 3);           // 7 % of values → 0 or 1, half each
        float flipped = (impulse != 0.5f).to_type(ScalarType.Float32).mean().item<float>();
        float salt = (impulse == 1f).to_type(ScalarType.Float32).mean().item<float>();
        Assert.InRange(flipped, 0.063f, 0.077f);
        Assert.InRange(salt / flipped, 0.44f, 0.56f);
    }

    [Fact]
    public void Brightness_AddsToHsvValueKeepingHue()
    {
        // Pixels: dark red (0.5,0,0), grey 0.2, black, and (0.9, 0.6, 0.3) whose V + 0.3 clips at 1.
        using var img = tensor(new float[] { 0.5f, 0.2f, 0f, 0.9f, 0f, 0.2f, 0f, 0.6f, 0f, 0.2f, 0f, 0.3f }, new long[] { 3, 1, 4 });
        using var s1 = Corruptions.Apply(img, "brightness", 1, 0);
        Assert.Equal(new[] { 0.55f, 0f, 0f }, Rgb(s1, 0, 0), new ToleranceComparer(1e-6f));
        Assert.Equal(new[] { 0.25f, 0.25f, 0.25f }, Rgb(s1, 0, 1), new ToleranceComparer(1e-6f));
        Assert.Equal(new[] { 0.05f, 0.05f, 0.05f }, Rgb(s1, 0, 2), new ToleranceComparer(1e-6f));
        using var s5 = Corruptions.Apply(img, "brightness", 5, 0);                  // V 0.9 → 1: every channel × 1/0.9 (S, H kept)
        Assert.Equal(new[] { 1f, 0.6f / 0.9f, 0.3f / 0.9f }, Rgb(s5, 0, 3), new ToleranceComparer(1e-6f));
    }

    [Fact]
    public void Saturate_ScalesHsvSaturation()
    {
        // (0.8, 0.4, 0.4): H = 0, S = 0.5, V = 0.8. Severity 1: S' = 0.15 → (0.8, 0.68, 0.68).
        // Grey 0.5 has S = 0 and skimage's hue 0; severity 4: S' = 0·2 + 0.1 → (0.5, 0.45, 0.45).
        using var img = tensor(new float[] { 0.8f, 0.5f, 0.4f, 0.5f, 0.4f, 0.5f }, new long[] { 3, 1, 2 });
        Assert.Equal(new[] { 0.8f, 0.68f, 0.68f }, Rgb(Corruptions.Apply(img, "saturate", 1, 0), 0, 0), new ToleranceComparer(1e-6f));
        Assert.Equal(new[] { 0.5f, 0.45f, 0.45f }, Rgb(Corruptions.Apply(img, "saturate", 4, 0), 0, 1), new ToleranceComparer(1e-6f));
        // Severity 3: S' = 0.75 → the min channel is V(1 − S') = 0.2.
        Assert.Equal(new[] { 0.8f, 0.2f, 0.2f }, Rgb(Corruptions.Apply(img, "saturate", 3, 0), 0, 0), new ToleranceComparer(1e-6f));
    }

    [Fact]
    public void Contrast_ShrinksTowardsChannelMean()
    {
        using var img = tensor(new float[] { 0f, 1f, 0.2f, 0.4f, 0.5f, 0.5f }, new long[] { 3, 1, 2 });
        using var s5 = Corruptions.Apply(img, "contrast", 5, 0);                    // c = 0.15
        Assert.Equal(new[] { 0.5f - 0.075f, 0.3f - 0.015f, 0.5f }, Rgb(s5, 0, 0), new ToleranceComparer(1e-6f));
    }

    [Fact]
    public void GaussianBlur_ImpulseResponseIsTheNormalisedGaussian()
    {
        using var delta = zeros(3, 15, 15);
        delta[.., 7, 7] = tensor(1f);
        using var blurred = Corruptions.Apply(delta, "gaussian_blur", 5, 0);         // σ = 1, radius 4
        double norm = Enumerable.Range(-4, 9).Sum(i => Math.Exp(-0.5 * i * i));
        Assert.Equal(1 / (norm * norm), blurred[0, 7, 7].item<float>(), 5);
        Assert.Equal(Math.Exp(-0.5) * Math.Exp(-2) / (norm * norm), blurred[1, 6, 9].item<float>(), 5);
        Assert.Equal(0f, blurred[2, 7, 12].item<float>());                          // beyond 4σ
        Assert.Equal(3f, blurred.sum().item<float>(), 4);
    }

    [Fact]
    public void BoxResize_MatchesPillowBoxWeights()
    {
        Assert.Equal(new float[] { 0.5f, 0.5f, 0, 0, 0, 0, 0.5f, 0.5f }, ImageFilters.BoxResizeMatrix(4, 2).data<float>().ToArray());
        Assert.Equal(new float[] { 1, 0, 1, 0, 0, 1, 0, 1 }, ImageFilters.BoxResizeMatrix(2, 4).data<float>().ToArray());
        using var m = ImageFilters.BoxResizeMatrix(32, 27);
        Assert.True((m.sum(1) - 1).abs().max().item<float>() < 1e-6f);
    }

    [Theory]
    [InlineData("defocus_blur")]
    [InlineData("motion_blur")]
    [InlineData("zoom_blur")]
    [InlineData("pixelate")]
    [InlineData("jpeg_compression")]
    [InlineData("contrast")]
    public void ConstantImage_StaysConstantUnderSpatialAndLinearCorruptions(string name)
    {
        using var grey = full(new long[] { 3, 24, 24 }, 0.4f);
        using var c = Corruptions.Apply(grey, name, 5, 11);
        Assert.True((c - 0.4f).abs().max().item<float>() <= 1.5f / 255, $"{name} changed a constant image");
    }

    [Fact]
    public void Errors_UnknownNameBadSeverityBadShape()
    {
        using var img = Scene();
        var e = Assert.Throws<ArgumentException>(() => Corruptions.Apply(img, "frosty", 1, 0));
        Assert.Contains("frosty", e.Message);
        Assert.Contains("gaussian_noise", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Corruptions.Apply(img, "fog", 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Corruptions.Apply(img, "fog", 6, 0));
        Assert.Throws<ArgumentException>(() => Corruptions.Apply(img[0], "fog", 1, 0));
        var ds = LabelOnlyDataset.WithCounts(2, 2);
        Assert.Throws<ArgumentException>(() => new CorruptedDataset(ds, "nope", 1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CorruptedDataset(ds, "fog", 9, 0));
    }

    [Fact]
    public void CorruptedDataset_PerImageSeeds_Repeatable()
    {
        var source = LabelOnlyDataset.WithCounts(3, 2);
        var ds = new CorruptedDataset(source, "gaussian_noise", 2, seed: 42);
        Assert.Same(source.Classes, ds.Classes);
        Assert.Equal(5, ds.Count);
        Assert.Equal(source.LabelOf(3), ds.LabelOf(3));
        Assert.Equal("fake#3 [gaussian_noise, severity 2]", ds.Describe(3));
        using var a = ds.LoadImage(1);
        using var b = ds.LoadImage(1);
        Assert.True(a.eq(b).all().item<bool>());
        using var src1 = source.LoadImage(1);
        using var direct = Corruptions.Apply(src1, "gaussian_noise", 2, Corruptions.ImageSeed(42, 1));
        Assert.True(a.eq(direct).all().item<bool>());
        // Different images get different noise; another dataset seed gives other noise.
        using var src2 = source.LoadImage(2);
        using var n1 = a - src1;
        using var n2 = ds.LoadImage(2) - src2;
        Assert.True((n1 - n2).abs().max().item<float>() > 0.01f);
        using var other = new CorruptedDataset(source, "gaussian_noise", 2, seed: 43).LoadImage(1);
        Assert.False(other.eq(a).all().item<bool>());
    }

    private sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(float obj) => 0;
    }
}
