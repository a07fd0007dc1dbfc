using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tvp.Models.Clip;

/// <summary>HF <c>CLIPTextEmbeddings</c>: token embedding + learned position embedding (ids 0..T-1).</summary>
internal sealed class ClipTextEmbeddings : nn.Module<Tensor, Tensor>
{
    private readonly Embedding token_embedding, position_embedding;
    private readonly int _maxPositions;

    public ClipTextEmbeddings(ClipTextConfig config) : base("CLIPTextEmbeddings")
    {
        _maxPositions = config.MaxPositionEmbeddings;
        token_embedding = nn.Embedding(config.VocabSize, config.HiddenSize);
        position_embedding = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize);
        register_module("token_embedding", token_embedding);
        register_module("position_embedding", position_embedding);
    }

    /// <summary>input ids [B, T] (T ≤ max_position_embeddings) → [B, T, D].</summary>
    public override Tensor forward(Tensor inputIds)
    {
        long t = inputIds.shape[1];
        if (t > _maxPositions)
            throw new ArgumentException($"CLIP text: {t} tokens exceed the context of {_maxPositions} (truncate first)");
        var positions = arange(t, dtype: ScalarType.Int64, device: inputIds.device);
        return token_embedding.forward(inputIds) + position_embedding.forward(positions).unsqueeze(0); // [B, T, D]
    }
}
