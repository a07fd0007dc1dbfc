namespace Tvp.IO.Tokenizers;

/// <summary>A language model's tokenizer: text ↔ ids, with the checkpoint's special ids.</summary>
internal interface ITextTokenizer : IDisposable
{
    /// <summary>Ids of <paramref name="text"/>; with <paramref name="addBos"/> the BOS id is first (when the model has one).</summary>
    int[] Encode(string text, bool addBos);

    /// <summary>Text of ids, special tokens skipped.</summary>
    string Decode(IEnumerable<int> ids);

    /// <summary>The special ids (BOS/EOS/pad) from the checkpoint's config files.</summary>
    SpecialTokens Special { get; }
}
