using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tvp.Models.Clip;

/// <summary>
/// HF <c>CLIPTextTransformer</c> (the <c>text_model.*</c> keys): embeddings → causal encoder →
/// <c>final_layer_norm</c>; pooled output = the hidden state at the end-of-text token.
/// </summary>
internal sealed class ClipTextTransformer : nn.Module<Tensor, Tensor>
{
    private readonly ClipTextEmbeddings embeddings;
    private readonly ClipEncoder encoder;
    private readonly LayerNorm final_layer_norm;

    /// <summary>The configuration the tower was built from.</summary>
    public ClipTextConfig Config { get; }

    public ClipTextTransformer(ClipTextConfig config) : base("CLIPTextTransformer")
    {
        config.Validate();
        Config = config;
        embeddings = new ClipTextEmbeddings(config);
        encoder = new ClipEncoder(config.NumHiddenLayers, config.HiddenSize, config.IntermediateSize,
            config.NumAttentionHeads, config.HiddenAct, config.LayerNormEps, causal: true);
        final_layer_norm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        register_module("embeddings", embeddings);
        register_module("encoder", encoder);
        register_module("final_layer_norm", final_layer_norm);
    }

    /// <summary>input ids [B, T] → last_hidden_state [B, T, D] (after final_layer_norm).</summary>
    public override Tensor forward(Tensor inputIds) =>
        final_layer_norm.forward(encoder.forward(embeddings.forward(inputIds)));

    /// <summary>[embeddings, after layer 0, …, after the last layer] (before final_layer_norm), each [B, T, D].</summary>
    public IReadOnlyList<Tensor> HiddenStates(Tensor inputIds) => encoder.HiddenStates(embeddings.forward(inputIds));

    /// <summary>
    /// The pooling positions [B]: the first end-of-text token, or (legacy configs with eos_token_id 2, as in
    /// the openai checkpoints) argmax(input_ids), which is the same position for CLIP's vocabulary.
    /// </summary>
    public Tensor EosIndex(Tensor inputIds) => Config.EosTokenId == 2
        ? inputIds.argmax(-1)
        : inputIds.eq(Config.EosTokenId).to_type(ScalarType.Int32).argmax(-1);

    /// <summary>pooler_output [B, D]: last_hidden_state at <see cref="EosIndex"/>.</summary>
    public Tensor Pooled(Tensor inputIds, Tensor lastHiddenState)
    {
        var idx = EosIndex(inputIds).to(lastHiddenState.device);
        var rows = arange(lastHiddenState.shape[0], dtype: ScalarType.Int64, device: lastHiddenState.device);
        return lastHiddenState.index(new TensorIndex[] { TensorIndex.Tensor(rows), TensorIndex.Tensor(idx) }); // [B, D]
    }
}
