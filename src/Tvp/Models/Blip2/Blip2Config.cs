using System.Text.Json;
using Tvp.IO.Json;
using Tvp.Models.Llama;
using Tvp.Models.Opt;
using Tvp.Models.T5;

namespace Tvp.Models.Blip2;

/// <summary>
/// HF <c>Blip2Config</c> / <c>InstructBlipConfig</c>: vision encoder, Q-Former, language model, and how many
/// query tokens join the language model (prepended, or put at <c>image_token_index</c> tokens when the config has it).
/// </summary>
/// <param name="Kind">BLIP-2 or InstructBLIP.</param>
/// <param name="Vision">Vision encoder config.</param>
/// <param name="QFormer">Q-Former config.</param>
/// <param name="Text">Language model config.</param>
/// <param name="NumQueryTokens">Learned query tokens (= visual tokens handed to the language model).</param>
/// <param name="ImageTokenIndex">Id of the image placeholder of newer processors, if the config has one.</param>
internal sealed record Blip2Config(Blip2Kind Kind, Blip2VisionConfig Vision, Blip2QFormerConfig QFormer, Blip2TextModel Text,
    int NumQueryTokens = 32, int? ImageTokenIndex = null)
{
    /// <summary>The config.json model_type of each kind.</summary>
    public static string ModelTypeOf(Blip2Kind kind) => kind == Blip2Kind.Blip2 ? "blip-2" : "instructblip";

    /// <summary>The kind a config.json model_type names, or null when it is not a Q-Former model.</summary>
    public static Blip2Kind? KindOf(string? modelType) => modelType switch
    {
        "blip-2" or "blip_2" => Blip2Kind.Blip2,
        "instructblip" => Blip2Kind.InstructBlip,
        _ => null,
    };

    /// <summary>True when the Q-Former reads instruction tokens (InstructBLIP).</summary>
    public bool QFormerTextInput => Kind == Blip2Kind.InstructBlip;

    /// <summary>Reads a checkpoint folder's config.json.</summary>
    public static Blip2Config Load(string folder)
    {
        var path = Path.Combine(folder, "config.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"{folder}: no config.json", path);
        return From(ConfigJson.ReadFile<Blip2ConfigJson>(path), path);
    }

    /// <summary>The config a typed blip-2 / instructblip config.json gives; <paramref name="source"/> names the file in errors.</summary>
    public static Blip2Config From(Blip2ConfigJson j, string source)
    {
        var mt = j.ModelType ?? "";
        var kind = KindOf(mt) ?? throw new InvalidDataException($"{source}: model_type '{mt}' is not blip-2 or instructblip");
        var tc = j.TextConfig is { ValueKind: JsonValueKind.Object } t ? t : throw new InvalidDataException($"{source}: no text_config");
        var where = source + " text_config";
        var textType = ConfigJson.Bind<ModelTypeJson>(tc, where).ModelType ?? "opt"; // HF Blip2Config defaults its text_config to OPT
        var text = textType switch
        {
            "opt" => new Blip2TextModel(Opt: OptConfig.FromJson(tc, where)),
            "llama" => new Blip2TextModel(Llama: LlamaConfig.FromJson(tc, where)),
            "t5" => new Blip2TextModel(T5: T5Config.FromJson(tc, where)),
            _ => throw new NotSupportedException($"{where}: model_type '{textType}' is not supported (opt, llama, t5)"),
        };
        if (j.UseDecoderOnlyLanguageModel is bool d && d == text.IsEncoderDecoder)
            throw new InvalidDataException($"{source}: use_decoder_only_language_model {d} contradicts text_config model_type '{textType}'");
        int q = j.NumQueryTokens ?? 32;
        if (q < 1) throw new InvalidDataException($"{source}: num_query_tokens must be at least 1");
        var qformer = Blip2QFormerConfig.From(j.QformerConfig ?? throw new InvalidDataException($"{source}: no qformer_config"), source + " qformer_config");
        var vision = Blip2VisionConfig.From(j.VisionConfig ?? throw new InvalidDataException($"{source}: no vision_config"), source + " vision_config");
        if (qformer.EncoderHiddenSize != vision.HiddenSize)
            throw new InvalidDataException($"{source}: qformer_config encoder_hidden_size {qformer.EncoderHiddenSize} differs from vision_config hidden_size {vision.HiddenSize}");
        return new Blip2Config(kind, vision, qformer, text, q, j.ImageTokenIndex);
    }

    /// <summary>The config.json object of this config.</summary>
    internal Dictionary<string, object?> ToJson()
    {
        string mt = ModelTypeOf(Kind), prefix = Kind == Blip2Kind.Blip2 ? "blip_2" : "instructblip";
        var j = new Dictionary<string, object?>
        {
            ["architectures"] = new[] { Kind == Blip2Kind.Blip2 ? "Blip2ForConditionalGeneration" : "InstructBlipForConditionalGeneration" },
            ["model_type"] = mt,
            ["num_query_tokens"] = NumQueryTokens,
            ["use_decoder_only_language_model"] = !Text.IsEncoderDecoder,
            ["is_encoder_decoder"] = Text.IsEncoderDecoder,
            ["vision_config"] = Vision.ToJsonFields(prefix + "_vision_model"),
            ["qformer_config"] = QFormer.ToJsonFields(prefix + "_qformer", QFormerTextInput),
            ["text_config"] = Text.ToJsonFields(),
        };
        if (ImageTokenIndex is int i) j["image_token_index"] = i;
        return j;
    }
}
