using System.Text.Json;

namespace Tvp.Models.Blip2;

/// <summary>A BLIP-2 / InstructBLIP config.json as HF writes it: the keys tvp reads, absent or null when not given.</summary>
/// <param name="ModelType">model_type (blip-2, instructblip).</param>
/// <param name="TextConfig">text_config, read by the record of its own model_type (opt, llama, t5).</param>
/// <param name="VisionConfig">vision_config.</param>
/// <param name="QformerConfig">qformer_config.</param>
/// <param name="UseDecoderOnlyLanguageModel">use_decoder_only_language_model.</param>
/// <param name="NumQueryTokens">num_query_tokens.</param>
/// <param name="ImageTokenIndex">image_token_index (newer processors).</param>
internal sealed record Blip2ConfigJson(string? ModelType, JsonElement? TextConfig, Blip2VisionConfigJson? VisionConfig,
    Blip2QFormerConfigJson? QformerConfig, bool? UseDecoderOnlyLanguageModel, int? NumQueryTokens, int? ImageTokenIndex);

/// <summary>A BLIP-2 <c>vision_config</c> (HF <c>Blip2VisionConfig</c> keys).</summary>
/// <param name="HiddenSize">hidden_size.</param>
/// <param name="IntermediateSize">intermediate_size.</param>
/// <param name="NumHiddenLayers">num_hidden_layers.</param>
/// <param name="NumAttentionHeads">num_attention_heads.</param>
/// <param name="ImageSize">image_size.</param>
/// <param name="PatchSize">patch_size.</param>
/// <param name="HiddenAct">hidden_act.</param>
/// <param name="LayerNormEps">layer_norm_eps.</param>
/// <param name="QkvBias">qkv_bias.</param>
internal sealed record Blip2VisionConfigJson(int? HiddenSize, int? IntermediateSize, int? NumHiddenLayers, int? NumAttentionHeads,
    int? ImageSize, int? PatchSize, string? HiddenAct, double? LayerNormEps, bool? QkvBias);

/// <summary>A BLIP-2 <c>qformer_config</c> (HF <c>Blip2QFormerConfig</c> keys).</summary>
/// <param name="HiddenSize">hidden_size.</param>
/// <param name="NumHiddenLayers">num_hidden_layers.</param>
/// <param name="NumAttentionHeads">num_attention_heads.</param>
/// <param name="IntermediateSize">intermediate_size.</param>
/// <param name="HiddenAct">hidden_act.</param>
/// <param name="LayerNormEps">layer_norm_eps.</param>
/// <param name="CrossAttentionFrequency">cross_attention_frequency.</param>
/// <param name="EncoderHiddenSize">encoder_hidden_size.</param>
/// <param name="VocabSize">vocab_size.</param>
/// <param name="MaxPositionEmbeddings">max_position_embeddings.</param>
/// <param name="PadTokenId">pad_token_id.</param>
/// <param name="PositionEmbeddingType">position_embedding_type.</param>
internal sealed record Blip2QFormerConfigJson(int? HiddenSize, int? NumHiddenLayers, int? NumAttentionHeads, int? IntermediateSize,
    string? HiddenAct, double? LayerNormEps, int? CrossAttentionFrequency, int? EncoderHiddenSize, int? VocabSize,
    int? MaxPositionEmbeddings, int? PadTokenId, string? PositionEmbeddingType);
