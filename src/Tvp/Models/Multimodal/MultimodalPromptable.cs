using Tvp.IO.Tokenizers;
using Tvp.Data;
using static TorchSharp.torch;

namespace Tvp.Models.Multimodal;

/// <summary>
/// A multimodal LLM checkpoint as a promptable model, written once for every family (LLaVA, BLIP-2, InstructBLIP,
/// MiniGPT-4): <see cref="ImageFeatures"/> = the visual tokens handed to the language model;
/// <see cref="EncoderFeatures"/> = the vision encoder's output (what the paper's models share);
/// <see cref="TaskLoss"/> = LM cross-entropy on the answer tokens (+ end marker) only, computed with the features
/// from the same forward pass (<see cref="TaskLossWithFeatures"/>); <see cref="Score"/> = mean per-token
/// log-probability of each candidate (decoder-only: the prompt once, its key/value cache shared by the candidates;
/// encoder–decoder: one encoder pass, one batched decoder pass). Weights are frozen; gradients reach only the pixels.
/// A family supplies the image encoding, how visual tokens join the prompt, and its language model.
/// </summary>
public abstract class MultimodalPromptable : IPromptableModel, IEncoderFeatures
{
    private readonly ITextTokenizer? _tokenizer;
    private readonly PromptEncoder? _prompts;

    /// <inheritdoc />
    public ModelInfo Info { get; }

    /// <inheritdoc />
    public Device Device { get; }

    /// <summary>The family's prompt template (chat format, classification question, answer end marker).</summary>
    internal PromptTemplate Template { get; }

    /// <summary>The checkpoint folder.</summary>
    public string Folder { get; }

    /// <summary>The checkpoint's preprocessing of plain images.</summary>
    internal ImagePreprocessor Preprocessor { get; }

    private protected MultimodalPromptable(string folder, ITextTokenizer? tokenizer, PromptTemplate template, ImagePreprocessor preprocessor,
        string family, Device device, int imageMarker)
    {
        Folder = folder; _tokenizer = tokenizer; Template = template; Preprocessor = preprocessor; Device = device; ImageMarker = imageMarker;
        var name = Path.GetFileName(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar));
        Info = preprocessor.Info(name, family);
        if (tokenizer is not null) _prompts = new PromptEncoder(template, tokenizer, imageMarker);
    }

    /// <summary>The id that marks the image's place in prompt ids (expanded into the visual tokens).</summary>
    public int ImageMarker { get; }

    /// <summary>Token ids must lie in 0..VocabularySize−1 (or be <see cref="ImageMarker"/> in a prompt).</summary>
    public int VocabularySize => LanguageModel.VocabSize;

    /// <summary>The language model.</summary>
    internal abstract ILanguageModel LanguageModel { get; }

    /// <summary>One pass over normalised pixels [B,3,S,S]: the vision encoder output and the visual tokens [B,P,D].</summary>
    internal abstract (Tensor Encoder, Tensor Visual) EncodeImages(Tensor pixelValues, IReadOnlyList<int[]>? instructions);

    /// <summary>Embeds prompt ids (each holding the image marker) with the visual tokens [B,P,D] in place.</summary>
    internal abstract MergedInputs Merge(IReadOnlyList<int[]> prompts, Tensor visual, bool leftPad);

    /// <summary>True when the image encoding reads an instruction (InstructBLIP's Q-Former).</summary>
    public virtual bool NeedsInstruction => false;

    /// <summary>The Q-Former instruction ids of a question (InstructBLIP), or null when the model has none.</summary>
    public virtual int[]? InstructionIds(string question) => null;

    /// <summary>Prompt ids of <paramref name="question"/> in the family's template, with the image marker where the image goes.</summary>
    /// <exception cref="InvalidOperationException">The checkpoint has no tokenizer.</exception>
    public int[] EncodePrompt(string question) => PromptEncoder.EncodePrompt(question);

    /// <summary>Token ids of <paramref name="answer"/> as a continuation of <paramref name="question"/>'s prompt (with the template's end marker when it scores one).</summary>
    /// <exception cref="InvalidOperationException">The checkpoint has no tokenizer.</exception>
    public int[] EncodeAnswer(string question, string answer) => PromptEncoder.EncodeAnswer(question, answer, Template.ScoreEndMarker);

    /// <summary>Text of generated token ids.</summary>
    /// <exception cref="InvalidOperationException">The checkpoint has no tokenizer.</exception>
    public string Decode(IEnumerable<int> ids) => PromptEncoder.Decode(ids);

    /// <summary>The prompt encoder (needs a tokenizer).</summary>
    internal PromptEncoder PromptEncoder => _prompts ?? throw new InvalidOperationException(
        $"{Folder}: the checkpoint has no tokenizer (tokenizer.json or tokenizer.model); give token ids instead");

    /// <summary>The model's normalised input [B,3,S,S] for prompted canvases [B,3,H,W] in [0,1] (resized whole).</summary>
    public Tensor PixelValues(Tensor pixels) => ModelInput.Prepare(pixels, Info);

    /// <summary>The model's normalised input [1,3,S,S] for a plain photo [3,H,W] in [0,1], through the checkpoint's own preprocessing (<c>preprocessor_config.json</c>).</summary>
    public Tensor PreprocessImage(Tensor image) => Preprocessor.Preprocess(image);

    /// <summary>True when the checkpoint has a tokenizer, so that questions and answers can be given as text.</summary>
    public bool HasTokenizer => _prompts is not null;

    /// <summary>
    /// Greedy answers to <paramref name="questions"/> (one per row of <paramref name="pixelValues"/>, normalised
    /// model input), each at most <paramref name="maxNewTokens"/> tokens, stopping at the end-of-sequence token.
    /// Each answer comes as the text each token adds, with the prompt's token count.
    /// </summary>
    /// <exception cref="InvalidOperationException">The checkpoint has no tokenizer.</exception>
    public IReadOnlyList<MultimodalAnswer> GenerateAnswers(Tensor pixelValues, IReadOnlyList<string> questions, int maxNewTokens)
    {
        var prompts = questions.Select(PromptEncoder.EncodePrompt).ToArray();
        var ids = GenerateIds(pixelValues, prompts, maxNewTokens, InstructionsOrThrow(questions));
        return ids.Select((row, i) => new MultimodalAnswer(Pieces(row), prompts[i].Length, row.Length < maxNewTokens)).ToArray();
    }

    /// <summary>Log-likelihood of each candidate answer to <paramref name="question"/> for one image (normalised model input [1,3,S,S]).</summary>
    /// <exception cref="InvalidOperationException">The checkpoint has no tokenizer.</exception>
    public CandidateLogLikelihoods ScoreAnswers(Tensor pixelValues, string question, IReadOnlyList<string> candidates)
    {
        var prompt = PromptEncoder.EncodePrompt(question);
        var cands = candidates.Select(c => PromptEncoder.EncodeAnswer(question, c, Template.ScoreEndMarker)).ToArray();
        return ScoreIds(pixelValues, new[] { prompt }, new[] { cands }, InstructionsOrThrow(new[] { question }));
    }

    private IReadOnlyList<int[]>? InstructionsOrThrow(IEnumerable<string> questions) => !NeedsInstruction ? null
        : questions.Select(q => InstructionIds(q) ?? throw new InvalidOperationException($"{Info.Name}: no Q-Former tokenizer for the instruction")).ToArray();

    /// <summary>The text each token adds: decode growing prefixes and keep the difference (tokenizers merge across tokens).</summary>
    private List<string> Pieces(int[] ids)
    {
        var pieces = new List<string>(ids.Length);
        string previous = "";
        for (int k = 1; k <= ids.Length; k++)
        {
            var text = PromptEncoder.Decode(ids.Take(k));
            pieces.Add(text.StartsWith(previous, StringComparison.Ordinal) ? text[previous.Length..] : text);
            previous = text;
        }
        return pieces;
    }

    private IReadOnlyList<int[]>? Instructions(IEnumerable<string> questions)
    {
        var list = questions.Select(InstructionIds).ToArray();
        return list.Any(x => x is null) ? null : list.Select(x => x!).ToArray();
    }

    /// <summary>Instructions for feature-only calls (no question known): the template's classification question.</summary>
    private IReadOnlyList<int[]>? DefaultInstructions(long rows) => Instructions(Enumerable.Repeat(Template.ClassificationQuestion, (int)rows));

    /// <inheritdoc />
    public Tensor ImageFeatures(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        return EncodeImages(PixelValues(pixels), DefaultInstructions(pixels.shape[0])).Visual.to(ScalarType.Float32).MoveToOuterDisposeScope(); // FCA in float32
    }

    /// <inheritdoc />
    public Tensor EncoderFeatures(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        return EncodeImages(PixelValues(pixels), DefaultInstructions(pixels.shape[0])).Encoder.to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor TaskLoss(Tensor pixels, TaskBatch batch)
    {
        var (loss, features) = LossAndFeatures(pixels, batch, encoder: false);
        features.Dispose();
        return loss;
    }

    /// <inheritdoc />
    public (Tensor Loss, Tensor Features) TaskLossWithFeatures(Tensor pixels, TaskBatch batch) => LossAndFeatures(pixels, batch, encoder: false);

    /// <inheritdoc />
    public (Tensor Loss, Tensor Features) TaskLossWithEncoderFeatures(Tensor pixels, TaskBatch batch) => LossAndFeatures(pixels, batch, encoder: true);

    private (Tensor Loss, Tensor Features) LossAndFeatures(Tensor pixels, TaskBatch batch, bool encoder)
    {
        if (batch.Targets.Any(t => t < 0)) throw new ArgumentException($"{Info.Name} task loss: every row needs a target");
        var prompts = batch.Questions.Select(PromptEncoder.EncodePrompt).ToArray();
        var answers = Enumerable.Range(0, batch.Count)
            .Select(i => PromptEncoder.EncodeAnswer(batch.Questions[i], batch.Candidates[i][batch.Targets[i]], withEnd: true)).ToArray();
        using var scope = NewDisposeScope();
        var (enc, visual) = EncodeImages(PixelValues(pixels), Instructions(batch.Questions));
        var loss = LanguageModelLoss(visual, prompts, answers);
        // Losses and FCA features in float32 whatever the weights' dtype (--dtype bf16 keeps only the weights in bf16).
        return (loss.to(ScalarType.Float32).MoveToOuterDisposeScope(), (encoder ? enc : visual).to(ScalarType.Float32).MoveToOuterDisposeScope());
    }

    /// <summary>Mean cross-entropy over the answer tokens of all rows, given the visual tokens [B,P,D].</summary>
    internal Tensor LanguageModelLoss(Tensor visual, IReadOnlyList<int[]> prompts, IReadOnlyList<int[]> answers)
    {
        using var scope = NewDisposeScope();
        switch (LanguageModel)
        {
            case ICausalLanguageModel lm:
                var seqs = prompts.Zip(answers, (p, a) => p.Concat(a).ToArray()).ToArray();
                return AnswerLoss.DecoderOnly(lm, Merge(seqs, visual, leftPad: false), answers).MoveToOuterDisposeScope();
            case IEncoderDecoderLanguageModel ed:
                var m = Merge(prompts, visual, leftPad: false);
                return AnswerLoss.EncoderDecoder(ed, m.Embeds, m.Mask, answers).MoveToOuterDisposeScope();
            default: throw new InvalidOperationException($"{Info.Name}: unknown language model kind");
        }
    }

    /// <inheritdoc />
    public Tensor Score(Tensor pixels, TaskBatch batch)
    {
        var prompts = batch.Questions.Select(PromptEncoder.EncodePrompt).ToArray();
        var cands = Enumerable.Range(0, batch.Count).Select(i => (IReadOnlyList<int[]>)batch.Candidates[i]
            .Select(c => PromptEncoder.EncodeAnswer(batch.Questions[i], c, Template.ScoreEndMarker)).ToArray()).ToArray();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var r = ScoreIds(PixelValues(pixels), prompts, cands, Instructions(batch.Questions));
        int b = r.Mean.GetLength(0), c = r.Mean.GetLength(1);
        var values = new float[b * c];
        for (int i = 0; i < b; i++) for (int j = 0; j < c; j++) values[i * c + j] = (float)r.Mean[i, j];
        return tensor(values, new long[] { b, c }, device: Device).MoveToOuterDisposeScope();
    }

    /// <summary>Candidate log-likelihoods from token ids (prompts with the image marker; candidates per row; optional Q-Former instructions). Pixel values normalised.</summary>
    public CandidateLogLikelihoods ScoreIds(Tensor pixelValues, IReadOnlyList<int[]> prompts, IReadOnlyList<IReadOnlyList<int[]>> candidates,
        IReadOnlyList<int[]>? instructions = null)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var visual = EncodeImages(pixelValues, instructions).Visual;
        switch (LanguageModel)
        {
            case ICausalLanguageModel lm:
                var m = Merge(prompts, visual, leftPad: true);
                return ContinuationScorer.Score(lm, m.Embeds, m.Mask, candidates);
            case IEncoderDecoderLanguageModel ed:
                var m2 = Merge(prompts, visual, leftPad: false);
                return ContinuationScorer.Score(ed, m2.Embeds, m2.Mask, candidates);
            default: throw new InvalidOperationException($"{Info.Name}: unknown language model kind");
        }
    }

    /// <summary>Greedy answers for prompt ids (one image per row), at most <paramref name="maxNewTokens"/> tokens, stopping at EOS.</summary>
    public int[][] GenerateIds(Tensor pixelValues, IReadOnlyList<int[]> prompts, int maxNewTokens, IReadOnlyList<int[]>? instructions = null)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var visual = EncodeImages(pixelValues, instructions).Visual;
        var eos = _tokenizer?.Special.Eos ?? LanguageModel.EosTokenId;
        switch (LanguageModel)
        {
            case ICausalLanguageModel lm:
                var m = Merge(prompts, visual, leftPad: true);
                return GreedyGenerator.Generate(lm, m.Embeds, m.Mask, maxNewTokens, eos);
            case IEncoderDecoderLanguageModel ed:
                var m2 = Merge(prompts, visual, leftPad: false);
                return GreedyGenerator.Generate(ed, m2.Embeds, m2.Mask, maxNewTokens, eos);
            default: throw new InvalidOperationException($"{Info.Name}: unknown language model kind");
        }
    }

    /// <summary>Greedy open answers to the questions for prompted canvases.</summary>
    public IReadOnlyList<string> Generate(Tensor pixels, IReadOnlyList<string> questions, int maxNewTokens = 16)
    {
        var prompts = questions.Select(PromptEncoder.EncodePrompt).ToArray();
        using var scope = NewDisposeScope();
        return GenerateIds(PixelValues(pixels), prompts, maxNewTokens, Instructions(questions)).Select(ids => PromptEncoder.Decode(ids)).ToArray();
    }

    /// <summary>Disposes the network.</summary>
    private protected abstract void DisposeNetwork();

    /// <summary>Frees the network and the tokenizer.</summary>
    public void Dispose()
    {
        DisposeNetwork();
        _tokenizer?.Dispose();
    }
}
