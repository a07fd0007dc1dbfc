using Tvp.IO;
using Tvp.Models.Llava;
using Tvp.Tests.Models.Llama;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Llava;

/// <summary>tiny-llava fixture (legacy key layout): vision selection, projector, merge and logits to 1e-4.</summary>
public class LlavaGoldenTests
{
    internal static string Dir => SharedData.Path("fixtures", "tiny-llava");

    private static double MaxAbs(Tensor a, Tensor b) => LlamaGoldenTests.MaxAbs(a, b);

    internal static int[] Ids(Checkpoint exp, string name) => exp.Read(name).data<long>().Select(v => (int)v).ToArray();

    [SharedTheory]
    [InlineData("ex0", false)]
    [InlineData("ex1", false)]
    [InlineData("ex0", true)]
    [InlineData("ex1", true)]
    public void Features_embeddings_and_logits_match_the_fixture(string ex, bool expandedIds)
    {
        using var scope = NewDisposeScope();
        using var m = LlavaForConditionalGeneration.Load(Dir);
        var exp = Checkpoint.Open(Path.Combine(Dir, "expected.safetensors"));
        using var _ = no_grad();
        var pixels = exp.ReadFloat($"{ex}_pixel_values");
        var selected = m.SelectedVisionFeatures(pixels);
        Assert.True(MaxAbs(selected, exp.ReadFloat($"{ex}_vision_selected_features")) < 1e-4);
        var feats = m.ImageFeatures(pixels);
        Assert.True(MaxAbs(feats, exp.ReadFloat($"{ex}_image_features")) < 1e-4, $"image features differ by {MaxAbs(feats, exp.ReadFloat($"{ex}_image_features"))}");
        var ids = Ids(exp, expandedIds ? $"{ex}_input_ids_expanded" : $"{ex}_input_ids");
        var merged = m.Merge(new[] { ids }, feats, leftPad: false);
        Assert.True(MaxAbs(merged.Embeds, exp.ReadFloat($"{ex}_inputs_embeds")) < 1e-4);
        var logits = m.Forward(new[] { ids }, pixels);
        var expLogits = exp.ReadFloat($"{ex}_logits");
        Assert.Equal(expLogits.shape, logits.shape);
        Assert.True(MaxAbs(logits, expLogits) < 1e-4, $"logits differ by {MaxAbs(logits, expLogits)}");
    }

    [SharedFact]
    public void Current_hf_key_names_load_the_same_weights()
    {
        using var scope = NewDisposeScope();
        using var tmp = new TempDir();
        var src = Checkpoint.Open(Dir);
        var renamed = new Dictionary<string, Tensor>();
        foreach (var name in src.Names)
        {
            var n = name.StartsWith("language_model.model.") ? "model.language_model." + name["language_model.model.".Length..]
                  : name == "language_model.lm_head.weight" ? "lm_head.weight" : "model." + name;
            renamed[n] = src.ReadFloat(name);
        }
        SafeTensorFile.Write(tmp.File("model.safetensors"), renamed);
        File.Copy(Path.Combine(Dir, "config.json"), tmp.File("config.json"));
        using var a = LlavaForConditionalGeneration.Load(Dir);
        using var b = LlavaForConditionalGeneration.Load(tmp.Path);
        var exp = Checkpoint.Open(Path.Combine(Dir, "expected.safetensors"));
        using var _ = no_grad();
        var ids = Ids(exp, "ex0_input_ids");
        var pixels = exp.ReadFloat("ex0_pixel_values");
        Assert.True(MaxAbs(b.Forward(new[] { ids }, pixels), exp.ReadFloat("ex0_logits")) < 1e-4);
    }

    [SharedFact]
    public void A_missing_tensor_is_reported_by_name()
    {
        using var tmp = new TempDir();
        var src = Checkpoint.Open(Dir);
        var kept = src.Names.Where(n => n != "multi_modal_projector.linear_2.bias").ToDictionary(n => n, n => src.ReadFloat(n));
        SafeTensorFile.Write(tmp.File("model.safetensors"), kept);
        File.Copy(Path.Combine(Dir, "config.json"), tmp.File("config.json"));
        var e = Assert.Throws<InvalidDataException>(() => LlavaForConditionalGeneration.Load(tmp.Path));
        Assert.Contains("multi_modal_projector.linear_2.bias", e.Message);
    }
}
