using System.Text.Json;
using Tvp.IO.Json;
using Tvp.Models.Clip;
using Tvp.Models.Llama;
using Tvp.Models.Opt;
using Tvp.Models.T5;

namespace Tvp.Tests.IO;

/// <summary>The typed config reader: HF key names, null = absent, unknown keys ignored, one-line errors naming file, section and field.</summary>
public class ConfigJsonTests
{
    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private static string BindError<T>(string json) where T : class =>
        Assert.Throws<InvalidDataException>(() => ConfigJson.Bind<T>(Parse(json), "cfg.json")).Message;

    [Fact]
    public void AFractionalIntegerNamesTheFileSectionAndField() =>
        Assert.Equal("cfg.json vision_config: 'hidden_size' should be a 32-bit integer, got 2.5",
            BindError<ClipConfigJson>("""{"model_type":"clip","vision_config":{"hidden_size":2.5}}"""));

    [Fact]
    public void AQuotedNumberIsNotAnInteger() =>
        Assert.Equal("cfg.json text_config: 'num_hidden_layers' should be an integer, got \"12\"",
            BindError<ClipConfigJson>("""{"text_config":{"num_hidden_layers":"12"}}"""));

    [Fact]
    public void AnIntegerBeyond32BitsIsAnError() =>
        Assert.Contains("'vocab_size' should be a 32-bit integer, got 1099511627776", BindError<LlamaConfigJson>("""{"vocab_size":1099511627776}"""));

    [Fact]
    public void AStringForANumberIsAnError() =>
        Assert.Equal("cfg.json: 'rms_norm_eps' should be a number, got \"small\"", BindError<LlamaConfigJson>("""{"rms_norm_eps":"small"}"""));

    [Fact]
    public void AWrongTypeElsewhereStillNamesTheField() =>
        Assert.StartsWith("cfg.json vision_config: 'hidden_act' has the wrong type", BindError<ClipConfigJson>("""{"vision_config":{"hidden_act":7}}"""));

    [Fact]
    public void MalformedJsonIsOneLine()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tvp-configjson-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{"hidden_size": 64,""");
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => ConfigJson.ReadFile<LlamaConfigJson>(path));
            Assert.StartsWith($"{path}: invalid JSON", e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void NullAndAbsentKeysTakeTheDefaultsAndUnknownKeysAreIgnored()
    {
        var given = ClipVisionConfig.FromJson(Parse("""{"hidden_size":64,"num_attention_heads":4,"intermediate_size":null,"torch_dtype":"float32","some_future_key":{"a":[1,2]}}"""));
        var defaults = new ClipVisionConfig();
        Assert.Equal(64, given.HiddenSize);
        Assert.Equal(4, given.NumAttentionHeads);
        Assert.Equal(defaults.IntermediateSize, given.IntermediateSize);
        Assert.Equal(defaults.PatchSize, given.PatchSize);
    }

    [Fact]
    public void HfKeyNamesThatSnakeCaseDoesNotSpellAreRead()
    {
        var t5 = T5Config.FromJson(Parse("""{"d_model":96,"d_kv":12,"d_ff":200,"num_heads":8,"num_layers":3,"layer_norm_epsilon":1e-5,"eos_token_id":[7,8]}"""), "t5.json");
        Assert.Equal((96, 12, 200, 3, 3, 1e-5, 7), (t5.DModel, t5.DKv, t5.DFf, t5.NumLayers, t5.NumDecoderLayers, t5.LayerNormEps, t5.EosTokenId));
        var opt = OptConfig.FromJson(Parse("""{"hidden_size":64,"num_attention_heads":4,"_remove_final_layer_norm":true,"layer_norm_elementwise_affine":false}"""), "opt.json");
        Assert.True(opt.RemoveFinalLayerNorm);
        Assert.False(opt.LayerNormAffine);
        Assert.Equal(64, opt.WordEmbedProjDim); // HF: word_embed_proj_dim defaults to hidden_size
    }

    [Fact]
    public void LlamaRangeChecksStillNameTheFile()
    {
        var e = Assert.Throws<InvalidDataException>(() => LlamaConfig.FromJson(Parse("""{"hidden_size":64,"num_attention_heads":8,"num_hidden_layers":-1}"""), "llama.json"));
        Assert.StartsWith("llama.json", e.Message);
        Assert.Contains("'num_hidden_layers' must be in 1..", e.Message);
    }
}
