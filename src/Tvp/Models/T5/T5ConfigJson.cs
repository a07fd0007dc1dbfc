using System.Text.Json.Serialization;
using Tvp.IO.Json;

namespace Tvp.Models.T5;

/// <summary>A T5 config (a BLIP-2 <c>text_config</c> with model_type t5) as HF writes it: the keys tvp reads.</summary>
/// <param name="VocabSize">vocab_size.</param>
/// <param name="DModel">d_model.</param>
/// <param name="DKv">d_kv.</param>
/// <param name="DFf">d_ff.</param>
/// <param name="NumLayers">num_layers.</param>
/// <param name="NumDecoderLayers">num_decoder_layers.</param>
/// <param name="NumHeads">num_heads.</param>
/// <param name="RelativeAttentionNumBuckets">relative_attention_num_buckets.</param>
/// <param name="RelativeAttentionMaxDistance">relative_attention_max_distance.</param>
/// <param name="LayerNormEpsilon">layer_norm_epsilon.</param>
/// <param name="FeedForwardProj">feed_forward_proj.</param>
/// <param name="DenseActFn">dense_act_fn.</param>
/// <param name="IsGatedAct">is_gated_act.</param>
/// <param name="TieWordEmbeddings">tie_word_embeddings.</param>
/// <param name="PadTokenId">pad_token_id.</param>
/// <param name="EosTokenId">eos_token_id.</param>
/// <param name="DecoderStartTokenId">decoder_start_token_id.</param>
internal sealed record T5ConfigJson(
    int? VocabSize,
    [property: JsonPropertyName("d_model")] int? DModel,
    [property: JsonPropertyName("d_kv")] int? DKv,
    [property: JsonPropertyName("d_ff")] int? DFf,
    int? NumLayers, int? NumDecoderLayers, int? NumHeads, int? RelativeAttentionNumBuckets, int? RelativeAttentionMaxDistance,
    double? LayerNormEpsilon, string? FeedForwardProj, string? DenseActFn, bool? IsGatedAct, bool? TieWordEmbeddings,
    [property: JsonConverter(typeof(FirstIdConverter))] int? PadTokenId,
    [property: JsonConverter(typeof(FirstIdConverter))] int? EosTokenId,
    [property: JsonConverter(typeof(FirstIdConverter))] int? DecoderStartTokenId);
