using System.Text.Json;
using Tvp.Models.Clip;
using Tvp.Models.Llama;

namespace Tvp.Models.Llava;

/// <summary>A LLaVA config.json as HF writes it (<c>LlavaConfig</c>): the keys tvp reads, absent or null when not given.</summary>
/// <param name="VisionConfig">vision_config (a CLIP vision tower).</param>
/// <param name="TextConfig">text_config (a LLaMA).</param>
/// <param name="ImageTokenIndex">image_token_index.</param>
/// <param name="VisionFeatureLayer">vision_feature_layer: one integer (HF also allows a list, which tvp does not support).</param>
/// <param name="VisionFeatureSelectStrategy">vision_feature_select_strategy.</param>
/// <param name="ProjectorHiddenAct">projector_hidden_act.</param>
/// <param name="MultimodalProjectorBias">multimodal_projector_bias.</param>
/// <param name="TieWordEmbeddings">tie_word_embeddings (used when text_config does not say).</param>
internal sealed record LlavaConfigJson(ClipVisionConfigJson? VisionConfig, LlamaConfigJson? TextConfig, int? ImageTokenIndex,
    JsonElement? VisionFeatureLayer, string? VisionFeatureSelectStrategy, string? ProjectorHiddenAct, bool? MultimodalProjectorBias,
    bool? TieWordEmbeddings);
