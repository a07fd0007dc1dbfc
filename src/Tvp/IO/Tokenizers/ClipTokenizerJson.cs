using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tvp.IO.Tokenizers;

/// <summary>The parts of an HF <c>tokenizer.json</c> the CLIP tokenizer reads (its vocabulary, special tokens and post-processor); other keys are ignored.</summary>
/// <param name="Model">The tokenization model.</param>
/// <param name="AddedTokens">Special tokens added to the vocabulary.</param>
/// <param name="PostProcessor">What is put around every text (CLIP: <c>RobertaProcessing</c> with <c>cls</c>/<c>sep</c>).</param>
internal sealed record ClipTokenizerJson(
    [property: JsonPropertyName("model")] ClipTokenizerJson.BpeModel Model,
    [property: JsonPropertyName("added_tokens")] IReadOnlyList<ClipTokenizerJson.AddedToken>? AddedTokens,
    [property: JsonPropertyName("post_processor")] ClipTokenizerJson.Processor? PostProcessor)
{
    /// <summary><c>model</c>: a BPE model's type, word-end suffix and vocabulary (merges are left to the Rust library).</summary>
    /// <param name="Type">Model type (<c>BPE</c>).</param>
    /// <param name="EndOfWordSuffix">CLIP's <c>&lt;/w&gt;</c>.</param>
    /// <param name="Vocab">Token → id.</param>
    public sealed record BpeModel(
        [property: JsonPropertyName("type")] string? Type,
        [property: JsonPropertyName("end_of_word_suffix")] string? EndOfWordSuffix,
        [property: JsonPropertyName("vocab")] Dictionary<string, int> Vocab);

    /// <summary>An <c>added_tokens</c> entry.</summary>
    /// <param name="Id">Its id.</param>
    /// <param name="Content">Its text.</param>
    public sealed record AddedToken([property: JsonPropertyName("id")] int Id, [property: JsonPropertyName("content")] string Content);

    /// <summary><c>post_processor</c>: <c>cls</c> and <c>sep</c> are <c>[token, id]</c> pairs.</summary>
    /// <param name="Cls">The start token and its id.</param>
    /// <param name="Sep">The end token and its id.</param>
    public sealed record Processor(
        [property: JsonPropertyName("cls"), JsonConverter(typeof(TokenIdPairConverter))] TokenIdPair? Cls,
        [property: JsonPropertyName("sep"), JsonConverter(typeof(TokenIdPairConverter))] TokenIdPair? Sep);

    /// <summary>Reads <paramref name="path"/>; malformed or mistyped content is an error naming the file.</summary>
    public static ClipTokenizerJson Load(string path)
    {
        try
        {
            var file = JsonSerializer.Deserialize<ClipTokenizerJson>(InputFile.ReadAllText(path));
            if (file?.Model?.Vocab is null) throw new InvalidDataException($"{path}: not a CLIP tokenizer.json (no model.vocab)");
            return file;
        }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a CLIP tokenizer.json ({e.Message})", e); }
    }

    /// <summary>The token of a <c>[token, id]</c> pair, or <paramref name="fallback"/>.</summary>
    public static string TokenOf(TokenIdPair? pair, string fallback) => pair?.Token ?? fallback;
}
