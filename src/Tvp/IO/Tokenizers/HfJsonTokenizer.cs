namespace Tvp.IO.Tokenizers;

/// <summary>
/// A HuggingFace <c>tokenizer.json</c> run by the Rust <c>tokenizers</c> library (Tokenizers.DotNet).
/// Its post-processor may add special tokens; BOS is then kept or removed as asked.
/// </summary>
internal sealed class HfJsonTokenizer : ITextTokenizer
{
    private readonly global::Tokenizers.DotNet.Tokenizer _tok;
    private readonly HashSet<int> _specialIds;
    private readonly int _addedFront, _addedBack;

    public SpecialTokens Special { get; }

    public HfJsonTokenizer(string tokenizerJson, SpecialTokens special)
    {
        if (!File.Exists(tokenizerJson)) throw new FileNotFoundException($"tokenizer not found: {tokenizerJson}", tokenizerJson);
        try { _tok = new global::Tokenizers.DotNet.Tokenizer(tokenizerJson); }
        catch (global::Tokenizers.DotNet.TokenizerException e) { throw new InvalidDataException($"{tokenizerJson}: cannot load tokenizer: {e.Message}", e); }
        Special = special;
        // What the post-processor adds around any text: the ids it returns for the empty string, split
        // into the part before the text (BOS/CLS) and after it (EOS/SEP).
        var empty = _tok.Encode("").Select(u => (int)u).ToArray();
        _addedBack = empty.Length > 0 && empty[^1] == special.Eos && empty[0] != special.Eos ? 1 : 0;
        _addedFront = empty.Length - _addedBack;
        _specialIds = new[] { special.Bos, special.Eos, special.Pad }.Where(i => i is not null).Select(i => i!.Value).ToHashSet();
    }

    public int[] Encode(string text, bool addBos)
    {
        var ids = _tok.Encode(text).Select(u => (int)u).ToList();
        // Whatever the post-processor adds is removed; BOS is then put back when asked.
        if (_addedFront > 0 && ids.Count >= _addedFront) ids.RemoveRange(0, _addedFront);
        if (_addedBack > 0 && ids.Count >= _addedBack) ids.RemoveRange(ids.Count - _addedBack, _addedBack);
        if (addBos && Special.AddBos && Special.Bos is int bos) ids.Insert(0, bos);
        return ids.ToArray();
    }

    public string Decode(IEnumerable<int> ids) => _tok.Decode(ids.Where(i => !_specialIds.Contains(i)).Select(i => (uint)i).ToArray());

    public void Dispose() => _tok.Dispose();
}
