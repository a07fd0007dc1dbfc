using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tvp.Models.Clip;

/// <summary>
/// HF <c>CLIPVisionTransformer</c> (the <c>vision_model.*</c> keys): embeddings → <c>pre_layrnorm</c> →
/// encoder; <c>post_layernorm</c> is applied only to the pooled class token. Submodule names mirror HF's
/// so <see cref="Tvp.IO.StateDictLoader"/> can load it with a key prefix.
/// </summary>
internal sealed class ClipVisionTransformer : nn.Module<Tensor, Tensor>
{
    private readonly ClipVisionEmbeddings embeddings;
    private readonly LayerNorm pre_layrnorm;
    private readonly ClipEncoder encoder;
    private readonly LayerNorm post_layernorm;

    /// <summary>The configuration the tower was built from.</summary>
    public ClipVisionConfig Config { get; }

    public ClipVisionTransformer(ClipVisionConfig config) : base("CLIPVisionTransformer")
    {
        config.Validate();
        Config = config;
        embeddings = new ClipVisionEmbeddings(config);
        pre_layrnorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        encoder = new ClipEncoder(config.NumHiddenLayers, config.HiddenSize, config.IntermediateSize,
            config.NumAttentionHeads, config.HiddenAct, config.LayerNormEps, causal: false);
        post_layernorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        register_module("embeddings", embeddings);
        register_module("pre_layrnorm", pre_layrnorm);
        register_module("encoder", encoder);
        register_module("post_layernorm", post_layernorm);
    }

    /// <summary>Normalised pixel values [B, C, S, S] → last_hidden_state [B, 1+P, D] (before post_layernorm).</summary>
    public override Tensor forward(Tensor pixelValues) =>
        encoder.forward(pre_layrnorm.forward(embeddings.forward(pixelValues)));

    /// <summary>[pre_layrnorm(embeddings), after layer 0, …, after the last layer], each [B, 1+P, D].</summary>
    public IReadOnlyList<Tensor> HiddenStates(Tensor pixelValues) =>
        encoder.HiddenStates(pre_layrnorm.forward(embeddings.forward(pixelValues)));

    /// <summary>The final LayerNorm (HF applies it to the class token: pooler_output).</summary>
    public Tensor PostLayerNorm(Tensor x) => post_layernorm.forward(x);

    /// <summary>pooler_output [B, D] = post_layernorm(last_hidden_state[:, 0]).</summary>
    public Tensor Pooled(Tensor lastHiddenState) => post_layernorm.forward(lastHiddenState.select(1, 0));
}
