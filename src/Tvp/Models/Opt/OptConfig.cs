using System.Text.Json;
using Tvp.Models.Clip;
using Tvp.IO.Json;

namespace Tvp.Models.Opt;

/// <summary>The fields of a HuggingFace <c>OPTConfig</c> (a BLIP-2 <c>text_config</c> with model_type opt).</summary>
/// <param name="VocabSize">Vocabulary size.</param>
/// <param name="HiddenSize">Decoder width.</param>
/// <param name="NumLayers">Decoder layers.</param>
/// <param name="NumHeads">Attention heads.</param>
/// <param name="FfnDim">Feed-forward inner width.</param>
/// <param name="MaxPositionEmbeddings">Learned positions (the table has 2 more rows: OPT's offset).</param>
/// <param name="WordEmbedProjDim">Token embedding width (project_in/out when it differs from the hidden size).</param>
/// <param name="DoLayerNormBefore">Pre-LN (true) or post-LN blocks.</param>
/// <param name="RemoveFinalLayerNorm">HF <c>_remove_final_layer_norm</c>: no final norm even when pre-LN.</param>
/// <param name="EnableBias">Biases on the attention and feed-forward linears.</param>
/// <param name="LayerNormAffine">Whether the layer norms have weight and bias.</param>
/// <param name="Activation">Feed-forward activation (<c>activation_function</c>).</param>
/// <param name="TieWordEmbeddings">Output head = token embedding.</param>
/// <param name="BosTokenId">BOS id.</param>
/// <param name="EosTokenId">EOS id.</param>
/// <param name="PadTokenId">Pad id.</param>
internal sealed record OptConfig(int VocabSize, int HiddenSize, int NumLayers, int NumHeads, int FfnDim,
    int MaxPositionEmbeddings, int WordEmbedProjDim, bool DoLayerNormBefore = true, bool RemoveFinalLayerNorm = false,
    bool EnableBias = true, bool LayerNormAffine = true, string Activation = "relu", bool TieWordEmbeddings = true,
    int? BosTokenId = 2, int? EosTokenId = 2, int? PadTokenId = 1)
{
    /// <summary>OPT's position offset: sequence position i reads row i + 2 of <c>embed_positions</c>.</summary>
    public const int PositionOffset = 2;

    /// <summary>Layer norm epsilon (OPT uses PyTorch's default; OPTConfig has no field for it).</summary>
    public const double LayerNormEps = 1e-5;

    /// <summary>Per-head width.</summary>
    public int HeadDim => HiddenSize / NumHeads;

    /// <summary>Parses an OPT config object (HF names and defaults); <paramref name="source"/> names it in errors.</summary>
    public static OptConfig FromJson(JsonElement e, string source) => From(ConfigJson.Bind<OptConfigJson>(e, source), source);

    /// <summary>The config a typed OPT config gives (HF OPTConfig's defaults for absent keys), checked.</summary>
    public static OptConfig From(OptConfigJson j, string source)
    {
        int hidden = j.HiddenSize ?? 768;
        int heads = j.NumAttentionHeads ?? 12;
        if (heads <= 0 || hidden % heads != 0) throw new InvalidDataException($"{source}: hidden_size {hidden} is not a multiple of num_attention_heads {heads}");
        var act = j.ActivationFunction ?? "relu";
        ClipActivation.Check(act, source + " activation_function");
        return new OptConfig(
            VocabSize: j.VocabSize ?? 50272, HiddenSize: hidden,
            NumLayers: j.NumHiddenLayers ?? 12, NumHeads: heads,
            FfnDim: j.FfnDim ?? 3072,
            MaxPositionEmbeddings: j.MaxPositionEmbeddings ?? 2048,
            WordEmbedProjDim: j.WordEmbedProjDim ?? hidden,
            DoLayerNormBefore: j.DoLayerNormBefore ?? true,
            RemoveFinalLayerNorm: j.RemoveFinalLayerNorm ?? false,
            EnableBias: j.EnableBias ?? true,
            LayerNormAffine: j.LayerNormElementwiseAffine ?? true,
            Activation: act,
            TieWordEmbeddings: j.TieWordEmbeddings ?? true,
            BosTokenId: j.BosTokenId ?? 2, EosTokenId: j.EosTokenId ?? 2,
            PadTokenId: j.PadTokenId ?? 1);
    }

    /// <summary>The config as HF config.json fields.</summary>
    internal Dictionary<string, object?> ToJsonFields() => new()
    {
        ["model_type"] = "opt", ["architectures"] = new[] { "OPTForCausalLM" },
        ["vocab_size"] = VocabSize, ["hidden_size"] = HiddenSize, ["num_hidden_layers"] = NumLayers,
        ["num_attention_heads"] = NumHeads, ["ffn_dim"] = FfnDim, ["max_position_embeddings"] = MaxPositionEmbeddings,
        ["word_embed_proj_dim"] = WordEmbedProjDim, ["do_layer_norm_before"] = DoLayerNormBefore,
        ["_remove_final_layer_norm"] = RemoveFinalLayerNorm, ["enable_bias"] = EnableBias,
        ["layer_norm_elementwise_affine"] = LayerNormAffine, ["activation_function"] = Activation,
        ["tie_word_embeddings"] = TieWordEmbeddings, ["bos_token_id"] = BosTokenId, ["eos_token_id"] = EosTokenId,
        ["pad_token_id"] = PadTokenId,
    };
}
