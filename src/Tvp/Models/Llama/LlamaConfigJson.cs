using System.Text.Json.Serialization;
using Tvp.IO.Json;

namespace Tvp.Models.Llama;

/// <summary>A LLaMA config.json (or a LLaVA <c>text_config</c>) as HF writes it: the keys tvp reads, absent or null when not given.</summary>
/// <param name="ModelType">model_type.</param>
/// <param name="VocabSize">vocab_size.</param>
/// <param name="HiddenSize">hidden_size.</param>
/// <param name="IntermediateSize">intermediate_size.</param>
/// <param name="NumHiddenLayers">num_hidden_layers.</param>
/// <param name="NumAttentionHeads">num_attention_heads.</param>
/// <param name="NumKeyValueHeads">num_key_value_heads.</param>
/// <param name="HeadDim">head_dim.</param>
/// <param name="RmsNormEps">rms_norm_eps.</param>
/// <param name="RopeTheta">rope_theta.</param>
/// <param name="RopeScaling">rope_scaling.</param>
/// <param name="TieWordEmbeddings">tie_word_embeddings.</param>
/// <param name="AttentionBias">attention_bias.</param>
/// <param name="MlpBias">mlp_bias.</param>
/// <param name="BosTokenId">bos_token_id (one id, or a list: the first).</param>
/// <param name="EosTokenId">eos_token_id (one id, or a list: the first).</param>
/// <param name="PadTokenId">pad_token_id (one id, or a list: the first).</param>
internal sealed record LlamaConfigJson(
    string? ModelType, int? VocabSize, int? HiddenSize, int? IntermediateSize, int? NumHiddenLayers, int? NumAttentionHeads,
    int? NumKeyValueHeads, int? HeadDim, double? RmsNormEps, double? RopeTheta, LlamaConfigJson.Scaling? RopeScaling,
    bool? TieWordEmbeddings, bool? AttentionBias, bool? MlpBias,
    [property: JsonConverter(typeof(FirstIdConverter))] int? BosTokenId,
    [property: JsonConverter(typeof(FirstIdConverter))] int? EosTokenId,
    [property: JsonConverter(typeof(FirstIdConverter))] int? PadTokenId)
{
    /// <summary><c>rope_scaling</c>: its type (<c>rope_type</c>, or the older <c>type</c>) and factor.</summary>
    /// <param name="RopeType">rope_type.</param>
    /// <param name="Type">type (older configs).</param>
    /// <param name="Factor">factor.</param>
    public sealed record Scaling(string? RopeType, string? Type, double? Factor);
}
