using System.Text.Json.Serialization;
using Tvp.IO.Json;

namespace Tvp.Models.Opt;

/// <summary>An OPT config (a BLIP-2 <c>text_config</c> with model_type opt) as HF writes it: the keys tvp reads.</summary>
/// <param name="VocabSize">vocab_size.</param>
/// <param name="HiddenSize">hidden_size.</param>
/// <param name="NumHiddenLayers">num_hidden_layers.</param>
/// <param name="NumAttentionHeads">num_attention_heads.</param>
/// <param name="FfnDim">ffn_dim.</param>
/// <param name="MaxPositionEmbeddings">max_position_embeddings.</param>
/// <param name="WordEmbedProjDim">word_embed_proj_dim.</param>
/// <param name="DoLayerNormBefore">do_layer_norm_before.</param>
/// <param name="RemoveFinalLayerNorm">_remove_final_layer_norm.</param>
/// <param name="EnableBias">enable_bias.</param>
/// <param name="LayerNormElementwiseAffine">layer_norm_elementwise_affine.</param>
/// <param name="ActivationFunction">activation_function.</param>
/// <param name="TieWordEmbeddings">tie_word_embeddings.</param>
/// <param name="BosTokenId">bos_token_id.</param>
/// <param name="EosTokenId">eos_token_id.</param>
/// <param name="PadTokenId">pad_token_id.</param>
internal sealed record OptConfigJson(int? VocabSize, int? HiddenSize, int? NumHiddenLayers, int? NumAttentionHeads, int? FfnDim,
    int? MaxPositionEmbeddings, int? WordEmbedProjDim, bool? DoLayerNormBefore,
    [property: JsonPropertyName("_remove_final_layer_norm")] bool? RemoveFinalLayerNorm,
    bool? EnableBias, bool? LayerNormElementwiseAffine, string? ActivationFunction, bool? TieWordEmbeddings,
    [property: JsonConverter(typeof(FirstIdConverter))] int? BosTokenId,
    [property: JsonConverter(typeof(FirstIdConverter))] int? EosTokenId,
    [property: JsonConverter(typeof(FirstIdConverter))] int? PadTokenId);
