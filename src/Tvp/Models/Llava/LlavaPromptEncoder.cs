using Tvp.Models.Multimodal;
using Tvp.IO.Tokenizers;

namespace Tvp.Models.Llava;

/// <summary>
/// Turns a question into prompt ids through a <see cref="PromptTemplate"/> (the text around the image
/// placeholder is tokenized piece by piece, as LLaVA's own <c>tokenizer_image_token</c> does, with the
/// image token id between the pieces) and an answer into the ids that follow that prompt.
/// </summary>
internal sealed class LlavaPromptEncoder
{
    private readonly ITextTokenizer _tok;
    private readonly int _imageToken;
    private readonly Dictionary<(string, string, bool), int[]> _answers = new();

    public PromptTemplate Template { get; }

    public LlavaPromptEncoder(PromptTemplate template, ITextTokenizer tokenizer, int imageTokenId)
    {
        Template = template; _tok = tokenizer; _imageToken = imageTokenId;
    }

    private (string Before, string After) Split(string question)
    {
        var parts = Template.Render(question).Split(Template.ImagePlaceholder);
        return (parts[0], parts[1]);
    }

    /// <summary>Prompt ids: BOS + tokens before the image, the image token, tokens after it.</summary>
    public int[] EncodePrompt(string question)
    {
        var (before, after) = Split(question);
        return _tok.Encode(before, addBos: true).Append(_imageToken).Concat(_tok.Encode(after, addBos: false)).ToArray();
    }

    /// <summary>
    /// The ids of <paramref name="answer"/> as they follow the prompt of <paramref name="question"/>
    /// (tokenized in context, so word-boundary markers come out as in the full text), plus the end marker
    /// when <paramref name="withEnd"/>.
    /// </summary>
    public int[] EncodeAnswer(string question, string answer, bool withEnd)
    {
        var (_, after) = Split(question);
        var key = (after, answer, withEnd);
        if (_answers.TryGetValue(key, out var cached)) return cached;
        var pre = _tok.Encode(after, addBos: false);
        var full = _tok.Encode(after + Template.AnswerSeparator + answer, addBos: false);
        var ids = full.Length > pre.Length && full.AsSpan(0, pre.Length).SequenceEqual(pre)
            ? full[pre.Length..]
            : _tok.Encode(answer, addBos: false);
        if (withEnd)
        {
            if (Template.EndMarker == "eos")
                ids = _tok.Special.Eos is int eos ? ids.Append(eos).ToArray()
                    : throw new InvalidOperationException("the template ends answers with EOS but the checkpoint has no eos_token_id");
            else if (Template.EndMarker.Length > 0) ids = ids.Concat(_tok.Encode(Template.EndMarker, addBos: false)).ToArray();
        }
        if (ids.Length == 0) throw new ArgumentException($"answer '{answer}' tokenizes to nothing");
        return _answers[key] = ids;
    }

    /// <summary>Text of generated ids.</summary>
    public string Decode(IEnumerable<int> ids) => _tok.Decode(ids).Trim();
}
