namespace Tvp.IO.Tokenizers;

/// <summary>Finds and opens a checkpoint folder's tokenizer: <c>tokenizer.json</c> first, else SentencePiece <c>tokenizer.model</c>.</summary>
internal static class TextTokenizer
{
    /// <summary>The folder's tokenizer, or null when it has none.</summary>
    public static ITextTokenizer? TryLoad(string folder)
    {
        var json = Path.Combine(folder, "tokenizer.json");
        if (File.Exists(json)) return new HfJsonTokenizer(json, SpecialTokens.FromFolder(folder));
        var sp = Path.Combine(folder, "tokenizer.model");
        if (File.Exists(sp)) return new SentencePieceTextTokenizer(sp, own => SpecialTokens.FromFolder(folder, own));
        return null;
    }
}
