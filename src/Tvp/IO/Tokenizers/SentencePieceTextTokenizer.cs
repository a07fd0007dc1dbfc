using Microsoft.ML.Tokenizers;

namespace Tvp.IO.Tokenizers;

/// <summary>A SentencePiece <c>tokenizer.model</c> (LLaMA / Vicuna) run by Microsoft.ML.Tokenizers.</summary>
internal sealed class SentencePieceTextTokenizer : ITextTokenizer
{
    private readonly SentencePieceTokenizer _tok;

    public SpecialTokens Special { get; }

    public SentencePieceTextTokenizer(string modelPath, Func<SpecialTokens, SpecialTokens> special)
    {
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"tokenizer not found: {modelPath}", modelPath);
        try
        {
            using var s = File.OpenRead(modelPath);
            _tok = LlamaTokenizer.Create(s, addBeginOfSentence: false, addEndOfSentence: false);
        }
        catch (Exception e) when (e is not IOException)
        {
            throw new InvalidDataException($"{modelPath}: not a SentencePiece model Microsoft.ML.Tokenizers can read: {e.Message}", e);
        }
        Special = special(new SpecialTokens(_tok.BeginningOfSentenceId, _tok.EndOfSentenceId, null));
    }

    public int[] Encode(string text, bool addBos)
    {
        var ids = _tok.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false).ToList();
        if (addBos && Special.AddBos && Special.Bos is int bos) ids.Insert(0, bos);
        return ids.ToArray();
    }

    public string Decode(IEnumerable<int> ids) => _tok.Decode(ids, considerSpecialTokens: false);

    public void Dispose() { }
}
