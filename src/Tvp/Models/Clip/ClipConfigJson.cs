namespace Tvp.Models.Clip;

/// <summary>A CLIP config.json as HF writes it (<c>model_type</c> clip): the keys tvp reads, each absent or null when not given.</summary>
/// <param name="ModelType"><c>clip</c>, or <c>clip_vision_model</c> for a vision tower alone.</param>
/// <param name="TextConfig">The text tower.</param>
/// <param name="VisionConfig">The vision tower.</param>
/// <param name="ProjectionDim">Shared embedding width.</param>
/// <param name="LogitScaleInitValue">Initial log logit scale.</param>
internal sealed record ClipConfigJson(string? ModelType, ClipTextConfigJson? TextConfig, ClipVisionConfigJson? VisionConfig,
    int? ProjectionDim, double? LogitScaleInitValue);

/// <summary>A CLIP <c>text_config</c> (HF <c>CLIPTextConfig</c> keys).</summary>
/// <param name="VocabSize">vocab_size.</param>
/// <param name="HiddenSize">hidden_size.</param>
/// <param name="IntermediateSize">intermediate_size.</param>
/// <param name="NumHiddenLayers">num_hidden_layers.</param>
/// <param name="NumAttentionHeads">num_attention_heads.</param>
/// <param name="MaxPositionEmbeddings">max_position_embeddings.</param>
/// <param name="HiddenAct">hidden_act.</param>
/// <param name="LayerNormEps">layer_norm_eps.</param>
/// <param name="ProjectionDim">projection_dim.</param>
/// <param name="PadTokenId">pad_token_id.</param>
/// <param name="BosTokenId">bos_token_id.</param>
/// <param name="EosTokenId">eos_token_id.</param>
internal sealed record ClipTextConfigJson(int? VocabSize, int? HiddenSize, int? IntermediateSize, int? NumHiddenLayers,
    int? NumAttentionHeads, int? MaxPositionEmbeddings, string? HiddenAct, double? LayerNormEps, int? ProjectionDim,
    int? PadTokenId, int? BosTokenId, int? EosTokenId);

/// <summary>A CLIP <c>vision_config</c>, or a <c>clip_vision_model</c> config.json root (HF <c>CLIPVisionConfig</c> keys).</summary>
/// <param name="ModelType">model_type (at a root).</param>
/// <param name="HiddenSize">hidden_size.</param>
/// <param name="IntermediateSize">intermediate_size.</param>
/// <param name="NumHiddenLayers">num_hidden_layers.</param>
/// <param name="NumAttentionHeads">num_attention_heads.</param>
/// <param name="ImageSize">image_size.</param>
/// <param name="PatchSize">patch_size.</param>
/// <param name="NumChannels">num_channels.</param>
/// <param name="HiddenAct">hidden_act.</param>
/// <param name="LayerNormEps">layer_norm_eps.</param>
/// <param name="ProjectionDim">projection_dim.</param>
internal sealed record ClipVisionConfigJson(string? ModelType, int? HiddenSize, int? IntermediateSize, int? NumHiddenLayers,
    int? NumAttentionHeads, int? ImageSize, int? PatchSize, int? NumChannels, string? HiddenAct, double? LayerNormEps, int? ProjectionDim);
