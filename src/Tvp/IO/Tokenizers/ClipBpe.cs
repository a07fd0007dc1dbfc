using System.Text;

namespace Tvp.IO.Tokenizers;

/// <summary>
/// CLIP's byte-level BPE model: a piece's UTF-8 bytes are mapped through GPT-2's <c>bytes_to_unicode</c>,
/// <c>&lt;/w&gt;</c> is appended to the last symbol, and the adjacent pair with the lowest merge rank is
/// merged until none is left.
/// </summary>
internal sealed class ClipBpe
{
    /// <summary>The end-of-word suffix CLIP appends to the last symbol of every piece.</summary>
    public const string EndOfWord = "</w>";

    private static readonly char[] ByteToChar = BuildByteToUnicode();
    private static readonly Dictionary<char, byte> CharToByte = ByteToChar.Select((c, b) => (c, b)).ToDictionary(t => t.c, t => (byte)t.b);

    private readonly IReadOnlyDictionary<string, int> _vocab;
    private readonly Dictionary<(string, string), int> _ranks;
    private readonly Dictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly int _unkId;

    public ClipBpe(IReadOnlyDictionary<string, int> vocab, IReadOnlyList<(string Left, string Right)> merges, int unkId)
    {
        _vocab = vocab;
        _unkId = unkId;
        _ranks = new Dictionary<(string, string), int>(merges.Count);
        for (int i = 0; i < merges.Count; i++) _ranks.TryAdd(merges[i], i);
    }

    /// <summary>GPT-2's reversible byte → printable character table.</summary>
    private static char[] BuildByteToUnicode()
    {
        var map = new char[256];
        var direct = new bool[256];
        for (int b = '!'; b <= '~'; b++) direct[b] = true;
        for (int b = 0xA1; b <= 0xAC; b++) direct[b] = true;
        for (int b = 0xAE; b <= 0xFF; b++) direct[b] = true;
        int n = 0;
        for (int b = 0; b < 256; b++) map[b] = direct[b] ? (char)b : (char)(256 + n++);
        return map;
    }

    /// <summary>Token ids of one pre-tokenised piece (already normalised; no special tokens inside).</summary>
    public int[] Encode(string piece)
    {
        lock (_cache)
            if (_cache.TryGetValue(piece, out var hit)) return hit;
        var bytes = Encoding.UTF8.GetBytes(piece);
        var symbols = new List<string>(bytes.Length);
        foreach (var b in bytes) symbols.Add(ByteToChar[b].ToString());
        if (symbols.Count == 0) return Array.Empty<int>();
        symbols[^1] += EndOfWord;
        while (symbols.Count > 1)
        {
            int best = int.MaxValue, at = -1;
            for (int i = 0; i + 1 < symbols.Count; i++)
                if (_ranks.TryGetValue((symbols[i], symbols[i + 1]), out var r) && r < best) { best = r; at = i; }
            if (at < 0) break;
            // Merge every occurrence of the best pair, left to right (as the reference BPE does).
            var (left, right) = (symbols[at], symbols[at + 1]);
            var merged = new List<string>(symbols.Count);
            for (int i = 0; i < symbols.Count; i++)
            {
                if (i + 1 < symbols.Count && symbols[i] == left && symbols[i + 1] == right) { merged.Add(left + right); i++; }
                else merged.Add(symbols[i]);
            }
            symbols = merged;
        }
        var ids = symbols.Select(s => _vocab.TryGetValue(s, out var id) ? id : _unkId).ToArray();
        lock (_cache) _cache[piece] = ids;
        return ids;
    }

    /// <summary>Text of byte-level token strings: <c>&lt;/w&gt;</c> becomes a space, bytes are decoded as UTF-8.</summary>
    public static string Decode(IEnumerable<string> tokens)
    {
        var joined = string.Concat(tokens);
        var bytes = new List<byte>(joined.Length);
        foreach (var ch in joined.Replace(EndOfWord, " "))
            if (CharToByte.TryGetValue(ch, out var b)) bytes.Add(b);
            else bytes.AddRange(Encoding.UTF8.GetBytes(ch.ToString()));
        return Encoding.UTF8.GetString(bytes.ToArray()).Trim();
    }
}
