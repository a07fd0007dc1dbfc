using System.Text.Json;
using Tvp.IO.Json;
using Tvp.Models.Clip;
using Tvp.Models.Llama;

namespace Tvp.Models.Llava;

/// <summary>HF <c>LlavaConfig</c>: a CLIP vision tower, the projector, a LLaMA language model, and how they join.</summary>
/// <param name="Vision">The CLIP vision tower's config.</param>
/// <param name="Text">The language model's config.</param>
/// <param name="ImageTokenIndex">Id of the image placeholder token in the prompt.</param>
/// <param name="VisionFeatureLayer">Which vision hidden state feeds the projector (negative counts from the end; -2 = penultimate layer).</param>
/// <param name="SelectStrategy">"default" drops the CLS token, "full" keeps it.</param>
/// <param name="ProjectorAct">Projector activation ("gelu" = exact erf GELU).</param>
/// <param name="ProjectorBias">Bias on the projector's linear layers.</param>
internal sealed record LlavaConfig(ClipVisionConfig Vision, LlamaConfig Text, int ImageTokenIndex = 32000,
    int VisionFeatureLayer = -2, string SelectStrategy = "default", string ProjectorAct = "gelu", bool ProjectorBias = true)
{
    /// <summary>Number of visual tokens one image becomes.</summary>
    public int ImageSeqLength => Vision.NumPatches + (SelectStrategy == "full" ? 1 : 0);

    /// <summary>Reads a llava config.json.</summary>
    public static LlavaConfig Load(string folder)
    {
        var path = Path.Combine(folder, "config.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"{folder}: no config.json", path);
        return From(ConfigJson.ReadFile<LlavaConfigJson>(path), path);
    }

    /// <summary>The config a typed llava config.json gives (HF's defaults for absent keys), validated; <paramref name="source"/> names the file in errors.</summary>
    public static LlavaConfig From(LlavaConfigJson j, string source)
    {
        var vc = j.VisionConfig ?? throw new InvalidDataException($"{source}: llava config has no vision_config");
        var tc = j.TextConfig ?? throw new InvalidDataException($"{source}: llava config has no text_config");
        var text = LlamaConfig.From(tc, source + " text_config");
        if (tc.TieWordEmbeddings is null && j.TieWordEmbeddings is bool tie)
            text = text with { TieWordEmbeddings = tie };
        if (tc.ModelType is string m && m != "llama")
            throw new NotSupportedException($"{source}: text_config model_type '{m}' is not supported (only llama)");
        int layer = -2;
        if (j.VisionFeatureLayer is { } vfl)
        {
            if (vfl.ValueKind == JsonValueKind.Number && vfl.TryGetInt32(out var vl)) layer = vl;
            else throw new NotSupportedException($"{source}: vision_feature_layer must be one integer (lists are not supported)");
        }
        var strategy = j.VisionFeatureSelectStrategy ?? "default";
        if (strategy is not ("default" or "full"))
            throw new InvalidDataException($"{source}: vision_feature_select_strategy '{strategy}' (expected default or full)");
        var act = j.ProjectorHiddenAct ?? "gelu";
        ClipActivation.Check(act, source + " projector_hidden_act");
        var vision = ConfigJson.InFile(source, () => ClipVisionConfig.From(vc));
        int imageToken = j.ImageTokenIndex ?? 32000;
        if (imageToken < 0 || imageToken > IO.Limits.Current.MaxVocabulary)
            throw new InvalidDataException($"{source}: 'image_token_index' must be in 0..{IO.Limits.Current.MaxVocabulary}, got {imageToken}");
        // hidden_states has num_hidden_layers + 1 entries (the embeddings first), indexed from either end.
        int states = vision.NumHiddenLayers + 1;
        if (layer < -states || layer >= states)
            throw new InvalidDataException($"{source}: 'vision_feature_layer' {layer} does not index the vision tower's {states} hidden states (-{states}..{states - 1})");
        return new LlavaConfig(vision, text,
            ImageTokenIndex: imageToken,
            VisionFeatureLayer: layer, SelectStrategy: strategy, ProjectorAct: act,
            ProjectorBias: j.MultimodalProjectorBias ?? true);
    }

    /// <summary>The config.json object of this config.</summary>
    internal Dictionary<string, object?> ToJson() => new()
    {
        ["architectures"] = new[] { "LlavaForConditionalGeneration" },
        ["model_type"] = "llava",
        ["ignore_index"] = -100,
        ["image_token_index"] = ImageTokenIndex,
        ["projector_hidden_act"] = ProjectorAct,
        ["vision_feature_select_strategy"] = SelectStrategy,
        ["vision_feature_layer"] = VisionFeatureLayer,
        ["image_seq_length"] = ImageSeqLength,
        ["multimodal_projector_bias"] = ProjectorBias,
        ["tie_word_embeddings"] = Text.TieWordEmbeddings,
        ["vision_config"] = Vision.ToJson(),
        ["text_config"] = Text.ToJsonFields(),
    };
}
