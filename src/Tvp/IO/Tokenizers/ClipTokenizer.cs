using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Tvp.IO.Tokenizers;

/// <summary>
/// The CLIP tokenizer as HF's <c>tokenizer.json</c> defines it (CLIPTokenizerFast): NFC, whitespace runs
/// collapsed to one space, lower-casing; special tokens matched in the text; the CLIP split regex; byte-level
/// BPE with <c>&lt;/w&gt;</c> word ends; <c>&lt;|startoftext|&gt;</c> … <c>&lt;|endoftext|&gt;</c> around it.
/// With a <c>tokenizer.json</c> the Rust <c>tokenizers</c> library (Tokenizers.DotNet) encodes; with only
/// <c>vocab.json</c> + <c>merges.txt</c> (no library reads that pair with CLIP's <c>&lt;/w&gt;</c> word ends) the
/// BPE in <see cref="ClipBpe"/> does. Decoding (HF's ByteLevel decode, then <c>&lt;/w&gt;</c> → space, which
/// tokenizer.json alone does not express) is <see cref="ClipBpe.Decode"/> either way.
/// </summary>
internal sealed class ClipTokenizer : IDisposable
{
    /// <summary>CLIP's context length.</summary>
    public const int ContextLength = 77;

    private static readonly Regex Whitespace = new(@"\s+", RegexOptions.Compiled);
    private static readonly Regex Pieces = new(@"'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+", RegexOptions.Compiled);

    private readonly ClipBpe? _bpe;
    private readonly global::Tokenizers.DotNet.Tokenizer? _rust;
    private readonly Lock _rustLock = new();
    private readonly Dictionary<string, int> _vocab;
    private readonly string[] _idToToken;
    private readonly Dictionary<string, int> _special;
    private readonly Regex? _specialSplit;

    /// <summary>Id of <c>&lt;|startoftext|&gt;</c>.</summary>
    public int BosId { get; }

    /// <summary>Id of <c>&lt;|endoftext|&gt;</c> (also CLIP's pad token in HF).</summary>
    public int EosId { get; }

    /// <summary>Number of tokens in the vocabulary (including special tokens).</summary>
    public int VocabSize => _idToToken.Length;

    /// <summary>Where the tokenizer was loaded from.</summary>
    public string Source { get; }

    private ClipTokenizer(string source, Dictionary<string, int> vocab, Dictionary<string, int> special, string bos, string eos,
        List<(string, string)>? merges, global::Tokenizers.DotNet.Tokenizer? rust)
    {
        Source = source;
        _vocab = vocab;
        foreach (var (tok, id) in special) _vocab.TryAdd(tok, id);
        _special = special;
        BosId = _vocab.TryGetValue(bos, out var b) ? b : throw new InvalidDataException($"{source}: start token '{bos}' is not in the vocabulary");
        EosId = _vocab.TryGetValue(eos, out var e) ? e : throw new InvalidDataException($"{source}: end token '{eos}' is not in the vocabulary");
        if (_vocab.Count == 0) throw new InvalidDataException($"{source}: empty vocabulary");
        int maxVocabulary = Limits.Current.MaxVocabulary;
        foreach (var (tok, id) in _vocab)
            if (id < 0 || id >= maxVocabulary)
                throw new InvalidDataException($"{source}: token '{tok}' has id {id}, outside 0..{maxVocabulary - 1}");
        int size = _vocab.Values.Max() + 1;
        _idToToken = new string[size];
        foreach (var (tok, id) in _vocab) _idToToken[id] = tok;
        _rust = rust;
        if (merges is not null)
        {
            _bpe = new ClipBpe(_vocab, merges, EosId);
            if (special.Count > 0)
                _specialSplit = new Regex("(" + string.Join("|", special.Keys.OrderByDescending(k => k.Length).Select(Regex.Escape)) + ")", RegexOptions.Compiled);
        }
    }

    /// <summary>Loads from a checkpoint folder: <c>tokenizer.json</c> if present, else <c>vocab.json</c> + <c>merges.txt</c>.</summary>
    /// <exception cref="FileNotFoundException">Neither is there.</exception>
    public static ClipTokenizer FromFolder(string folder)
    {
        var json = Path.Combine(folder, "tokenizer.json");
        if (File.Exists(json)) return FromTokenizerJson(json);
        var vocab = Path.Combine(folder, "vocab.json");
        var merges = Path.Combine(folder, "merges.txt");
        if (File.Exists(vocab) && File.Exists(merges)) return FromVocabAndMerges(vocab, merges);
        throw new FileNotFoundException($"{folder}: no CLIP tokenizer (tokenizer.json, or vocab.json + merges.txt)", json);
    }

    /// <summary>Loads an HF <c>tokenizer.json</c> (BPE model with <c>&lt;/w&gt;</c> end-of-word suffix); Tokenizers.DotNet encodes.</summary>
    public static ClipTokenizer FromTokenizerJson(string path)
    {
        var file = ClipTokenizerJson.Load(path);
        if (file.Model.Type is { } type && type != "BPE")
            throw new InvalidDataException($"{path}: model type '{type}' is not BPE");
        if (file.Model.EndOfWordSuffix is { } suffix && suffix != ClipBpe.EndOfWord)
            throw new InvalidDataException($"{path}: end_of_word_suffix '{suffix}' is not CLIP's '</w>'");
        var special = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var t in file.AddedTokens ?? []) special[t.Content] = t.Id;
        var bos = ClipTokenizerJson.TokenOf(file.PostProcessor?.Cls, "<|startoftext|>");
        var eos = ClipTokenizerJson.TokenOf(file.PostProcessor?.Sep, "<|endoftext|>");
        global::Tokenizers.DotNet.Tokenizer rust;
        try { rust = new global::Tokenizers.DotNet.Tokenizer(path); }
        catch (global::Tokenizers.DotNet.TokenizerException e) { throw new InvalidDataException($"{path}: cannot load tokenizer: {e.Message}", e); }
        try { return new ClipTokenizer(path, new Dictionary<string, int>(file.Model.Vocab, StringComparer.Ordinal), special, bos, eos, null, rust); }
        catch { rust.Dispose(); throw; }
    }

    /// <summary>Loads the slow-tokenizer files: <c>vocab.json</c> and <c>merges.txt</c> (<c>#version</c> header allowed).</summary>
    public static ClipTokenizer FromVocabAndMerges(string vocabPath, string mergesPath)
    {
        Dictionary<string, int> vocab;
        try
        {
            vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(vocabPath))
                ?? throw new InvalidDataException($"{vocabPath}: empty vocabulary");
        }
        catch (JsonException e) { throw new InvalidDataException($"{vocabPath}: not a vocabulary JSON object ({e.Message})", e); }
        var merges = new List<(string, string)>();
        int line = 0;
        foreach (var raw in File.ReadLines(mergesPath))
        {
            line++;
            if (line == 1 && raw.StartsWith("#version", StringComparison.Ordinal)) continue;
            if (raw.Length == 0) continue;
            merges.Add(SplitMerge(raw, mergesPath, line));
        }
        var special = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var s in new[] { "<|startoftext|>", "<|endoftext|>" })
            if (vocab.TryGetValue(s, out var id)) special[s] = id;
        return new ClipTokenizer(vocabPath, new Dictionary<string, int>(vocab, StringComparer.Ordinal), special, "<|startoftext|>", "<|endoftext|>", merges, null);
    }

    private static (string, string) SplitMerge(string s, string path, int line)
    {
        int sp = s.IndexOf(' ');
        if (sp <= 0 || sp == s.Length - 1) throw new InvalidDataException($"{path}: merge {line} '{s}' is not 'left right'");
        return (s[..sp], s[(sp + 1)..]);
    }

    /// <summary>
    /// HF normaliser: NFC (the platform's ICU, <see cref="string.Normalize(NormalizationForm)"/>), whitespace
    /// runs → one space, lower-case (char by char).
    /// </summary>
    public static string Normalize(string text) =>
        Whitespace.Replace(text.Normalize(NormalizationForm.FormC), " ").ToLowerInvariant();

    /// <summary>Ids of <paramref name="text"/> with start and end tokens, neither truncated nor padded.</summary>
    public int[] Encode(string text)
    {
        if (_rust is not null)
        {
            uint[] raw;
            lock (_rustLock) raw = _rust.Encode(text); // the post-processor adds the start and end tokens
            return raw.Select(u => (int)u).ToArray();
        }
        var ids = new List<int> { BosId };
        var normalized = Normalize(text);
        var segments = _specialSplit is null ? new[] { normalized } : _specialSplit.Split(normalized);
        foreach (var segment in segments)
        {
            if (segment.Length == 0) continue;
            if (_special.TryGetValue(segment, out var sid)) { ids.Add(sid); continue; }
            foreach (Match m in Pieces.Matches(segment)) ids.AddRange(_bpe!.Encode(m.Value));
        }
        ids.Add(EosId);
        return ids.ToArray();
    }

    /// <summary>
    /// Ids truncated to <paramref name="contextLength"/> the way CLIP does it: the first ids are kept and the
    /// last kept position becomes the end token.
    /// </summary>
    public int[] EncodeTruncated(string text, int contextLength = ContextLength)
    {
        var ids = Encode(text);
        if (ids.Length <= contextLength) return ids;
        var cut = ids[..contextLength];
        cut[^1] = EosId;
        return cut;
    }

    /// <summary>
    /// A batch [N, L] of truncated ids, right-padded with <paramref name="padId"/> (default: the end token,
    /// as HF pads). L = <paramref name="padTo"/> when given, else the longest row.
    /// </summary>
    public long[,] EncodeBatch(IReadOnlyList<string> texts, int? padTo = null, int? padId = null, int contextLength = ContextLength)
    {
        var rows = texts.Select(t => EncodeTruncated(t, contextLength)).ToArray();
        int len = padTo ?? (rows.Length == 0 ? 0 : rows.Max(r => r.Length));
        var result = new long[rows.Length, len];
        int pad = padId ?? EosId;
        for (int i = 0; i < rows.Length; i++)
            for (int j = 0; j < len; j++)
                result[i, j] = j < rows[i].Length ? rows[i][j] : pad;
        return result;
    }

    /// <summary>Token strings of ids (byte-level form, with <c>&lt;/w&gt;</c>).</summary>
    public string[] Tokens(IEnumerable<int> ids) => ids.Select(id => id >= 0 && id < _idToToken.Length ? _idToToken[id] ?? "" : "").ToArray();

    /// <summary>Text of ids without special tokens (HF CLIPTokenizerFast.decode with skip_special_tokens).</summary>
    public string Decode(IEnumerable<int> ids) => ClipBpe.Decode(Tokens(ids.Where(id => !_special.ContainsValue(id))));

    /// <summary>Releases the Rust tokenizer, if any.</summary>
    public void Dispose() => _rust?.Dispose();
}
