using Tvp.IO;
using Tvp.Models.Clip;
using Tvp.Models.Llava;
using Tvp.Tests.Models.Clip;
using Tvp.Tests.Models.Llava;
using Tvp.Tests.Models.Llama;
using Tvp.Tests.IO.Tokenizers;
using Tvp.Tests.Data.Tasks;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Tvp.Tests.Models;

/// <summary>
/// bf16 weights against fp32 weights on the tiny fixtures (same inputs). bfloat16 keeps 8 significant bits
/// (relative rounding 2^-9 ≈ 0.2 % per value), and the error grows with depth; the documented tolerance is a
/// relative max-abs difference (max |bf16 − fp32| / max |fp32|) of 5 % for features and logits. The measured values
/// are printed (test output) so a change in numerics is visible.
/// </summary>
public class Bf16FixtureTests
{
    /// <summary>Documented tolerance: relative max-abs difference of bf16 vs fp32 outputs.</summary>
    public const double RelativeTolerance = 0.05;

    private readonly ITestOutputHelper _out;

    public Bf16FixtureTests(ITestOutputHelper output) => _out = output;

    private static double Relative(Tensor bf16, Tensor fp32)
    {
        using var d = (bf16.to_type(ScalarType.Float32) - fp32).abs().max();
        using var r = fp32.abs().max();
        return d.item<float>() / r.item<float>();
    }

    private static LlavaForConditionalGeneration LoadLlava(WeightDType dtype)
    {
        using var _ = ModelLoadOptions.Use(new ModelLoadOptions(dtype));
        return LlavaForConditionalGeneration.Load(SharedData.Path("fixtures", "tiny-llava"));
    }

    [SharedFact]
    public void Tiny_llava_in_bf16_stays_within_the_documented_tolerance_of_fp32()
    {
        using var scope = NewDisposeScope();
        using var fp32 = LoadLlava(WeightDType.Float32);
        using var bf16 = LoadLlava(WeightDType.BFloat16);
        Assert.All(bf16.parameters(), p => Assert.Equal(ScalarType.BFloat16, p.dtype));
        Assert.All(fp32.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        var exp = Checkpoint.Open(Path.Combine(LlavaGoldenTests.Dir, "expected.safetensors"));
        using var _ = no_grad();
        foreach (var ex in new[] { "ex0", "ex1" })
        {
            var pixels = exp.ReadFloat($"{ex}_pixel_values");                    // float32 in: cast at the tower's input
            var ids = LlavaGoldenTests.Ids(exp, $"{ex}_input_ids");
            double feat = Relative(bf16.ImageFeatures(pixels), fp32.ImageFeatures(pixels));
            double logits = Relative(bf16.Forward(new[] { ids }, pixels), fp32.Forward(new[] { ids }, pixels));
            _out.WriteLine($"tiny-llava {ex}: image features rel. max diff {feat:E3}, logits {logits:E3}");
            Assert.InRange(feat, 0, RelativeTolerance);
            Assert.InRange(logits, 0, RelativeTolerance);
            Assert.True(feat > 0, "bf16 weights must change the numbers (else the dtype was not applied)");
        }
    }

    [SharedFact]
    public void Tiny_clip_in_bf16_stays_within_the_documented_tolerance_of_fp32_and_returns_float32()
    {
        using var scope = NewDisposeScope();
        ClipModel Load(WeightDType d)
        {
            using var _ = ModelLoadOptions.Use(new ModelLoadOptions(d));
            return ClipLoader.Load(ClipFixture.Folder);
        }
        using var fp32 = Load(WeightDType.Float32);
        using var bf16 = Load(WeightDType.BFloat16);
        Assert.All(bf16.parameters(), p => Assert.Equal(ScalarType.BFloat16, p.dtype));
        var exp = ClipFixture.Expected();
        using var _ = no_grad();
        var pixels = exp.ReadFloat("pixel_values");
        var ids = exp.Read("input_ids");
        var img = bf16.ImageFeatures(pixels);
        var txt = bf16.TextFeatures(ids);
        Assert.Equal(ScalarType.Float32, img.dtype);                                // losses and scores see float32
        Assert.Equal(ScalarType.Float32, txt.dtype);
        double image = Relative(img, fp32.ImageFeatures(pixels)), text = Relative(txt, fp32.TextFeatures(ids));
        _out.WriteLine($"tiny-clip: image features rel. max diff {image:E3}, text features {text:E3}");
        Assert.InRange(image, 1e-9, RelativeTolerance);
        Assert.InRange(text, 1e-9, RelativeTolerance);
    }
}
