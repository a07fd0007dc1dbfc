using Tvp.IO.Tokenizers;

namespace Tvp.Models.Multimodal;

/// <summary>
/// Turns a question into prompt ids through a <see cref="PromptTemplate"/> (the text around the image
/// placeholder is tokenized piece by piece, as LLaVA's <c>tokenizer_image_token</c> and MiniGPT-4's
/// <c>p_before</c>/<c>p_after</c> do, with one image marker id between the pieces that each model expands
/// into its visual-token slots) and an answer into the ids that follow that prompt.
/// </summary>
internal sealed class PromptEncoder
{
    private readonly ITextTokenizer _tok;
    private readonly int _imageMarker;
    private readonly Dictionary<(string, string, bool), int[]> _answers = new();

    public PromptTemplate Template { get; }

    /// <summary>The tokenizer.</summary>
    public ITextTokenizer Tokenizer => _tok;

    public PromptEncoder(PromptTemplate template, ITextTokenizer tokenizer, int imageMarker)
    {
        Template = template; _tok = tokenizer; _imageMarker = imageMarker;
    }

    private (string Before, string After) Split(string question)
    {
        var parts = Template.Render(question).Split(Template.ImagePlaceholder);
        return (parts[0], parts[1]);
    }

    /// <summary>
    /// Prompt ids: tokens before the image, the image marker, tokens after it; BOS where the template puts it
    /// (<c>start</c>: first; <c>after_image</c>: first after the image, as BLIP-2's prepended queries; <c>none</c>),
    /// and EOS last when the template's prompt ends with it (T5 encoders).
    /// </summary>
    public int[] EncodePrompt(string question)
    {
        var (before, after) = Split(question);
        var ids = _tok.Encode(before, addBos: Template.Bos == PromptTemplate.BosAtStart).Append(_imageMarker)
            .Concat(_tok.Encode(after, addBos: Template.Bos == PromptTemplate.BosAfterImage)).ToList();
        if (Template.PromptEos)
        {
            var eos = _tok.Special.Eos ?? throw new InvalidOperationException($"template '{Template.Name}' ends prompts with EOS but the tokenizer has no eos id");
            if (ids[^1] != eos) ids.Add(eos);
        }
        return ids.ToArray();
    }

    /// <summary>Plain text ids without BOS (e.g. the Q-Former instruction).</summary>
    public int[] EncodeText(string text, bool addBos) => _tok.Encode(text, addBos);

    /// <summary>
    /// The ids of <paramref name="answer"/> as they follow the prompt of <paramref name="question"/>
    /// (tokenized in context, so word-boundary markers come out as in the full text), plus the end marker
    /// when <paramref name="withEnd"/>.
    /// </summary>
    public int[] EncodeAnswer(string question, string answer, bool withEnd)
    {
        var (_, after) = Split(question);
        if (Template.PromptEos) after = ""; // the answer starts a new (decoder) sequence
        var key = (after, answer, withEnd);
        if (_answers.TryGetValue(key, out var cached)) return cached;
        var pre = _tok.Encode(after, addBos: false);
        var full = _tok.Encode(after + Template.AnswerSeparator + answer, addBos: false);
        var ids = pre.Length > 0 && full.Length > pre.Length && full.AsSpan(0, pre.Length).SequenceEqual(pre)
            ? full[pre.Length..]
            : _tok.Encode(answer, addBos: false);
        var eosId = _tok.Special.Eos;
        if (Template.PromptEos && eosId is int e0 && ids.Length > 0 && ids[^1] == e0) ids = ids[..^1]; // a tokenizer that appends EOS itself
        if (withEnd)
        {
            if (Template.EndMarker == "eos")
                ids = eosId is int eos ? ids.Append(eos).ToArray()
                    : throw new InvalidOperationException("the template ends answers with EOS but the checkpoint has no eos_token_id");
            else if (Template.EndMarker.Length > 0) ids = ids.Concat(_tok.Encode(Template.EndMarker, addBos: false)).ToArray();
        }
        if (ids.Length == 0) throw new ArgumentException($"answer '{answer}' tokenizes to nothing");
        return _answers[key] = ids;
    }

    /// <summary>Text of generated ids.</summary>
    public string Decode(IEnumerable<int> ids) => _tok.Decode(ids).Trim();
}
