using Tvp.Models;
using Tvp.Models.Blip2;
using Tvp.Models.Llava;
using Tvp.Models.MiniGpt4;
using Tvp.Models.Multimodal;
using static TorchSharp.torch;

namespace Tvp.Server;

/// <summary>
/// <see cref="IChatBackend"/> over any of tvp's multimodal LMs (the <see cref="MultimodalModel"/> core: LLaVA, BLIP-2
/// OPT / Flan-T5, InstructBLIP, MiniGPT-4): the model's prompt template and tokenizer build the prompt ids (and the
/// Q-Former instruction ids for InstructBLIP), <c>GenerateIds</c> decodes greedily (a batch of turns runs as one
/// batch), <c>ScoreIds</c> scores candidates with the shared-prefix scorer. The ONLY file of the server that touches
/// model code.
/// </summary>
public sealed class MultimodalChatBackend : IChatBackend
{
    private readonly MultimodalModel _model;

    /// <inheritdoc/>
    public string ModelId { get; }

    /// <inheritdoc/>
    public string Family => _model.Info.Family;

    /// <inheritdoc/>
    public int MaxImagesPerTurn => 1;

    private MultimodalChatBackend(MultimodalModel model, string id) { _model = model; ModelId = id; }

    /// <summary>Loads a multimodal checkpoint (folder or registry name) on the CPU; <paramref name="modelId"/> defaults to the model's name.</summary>
    /// <exception cref="ArgumentException">Not a multimodal LM, or the folder has no tokenizer (the server needs text in and out).</exception>
    public static MultimodalChatBackend Load(string folder, string? modelId = null)
    {
        var (path, family) = ModelRegistry.Resolve(folder);
        if (family is not (LlavaFamily or Blip2Family or MiniGpt4Family))
            throw new ArgumentException($"--model {folder}: a {family.Name} model; tvp serve runs multimodal chat checkpoints (LLaVA, BLIP-2, InstructBLIP, MiniGPT-4)");
        var model = (MultimodalModel)family.Load(path, CPU);
        try { _ = model.PromptEncoder; }
        catch (InvalidOperationException e)
        {
            model.Dispose();
            throw new ArgumentException($"--model {folder}: {e.Message.Replace("; give token ids instead", "", StringComparison.Ordinal)}", e);
        }
        return new MultimodalChatBackend(model, modelId ?? model.Info.Name);
    }

    /// <inheritdoc/>
    public IReadOnlyList<GeneratedAnswer> Generate(IReadOnlyList<ChatTurn> turns)
    {
        using var scope = NewDisposeScope();
        var prompts = turns.Select(t => _model.PromptEncoder.EncodePrompt(t.Question)).ToArray();
        var pixels = PixelValues(turns);                                                   // [B, 3, S, S]
        var ids = _model.GenerateIds(pixels, prompts, turns.Max(t => t.MaxTokens), Instructions(turns.Select(t => t.Question)));
        var answers = new GeneratedAnswer[turns.Count];
        for (int i = 0; i < turns.Count; i++)
        {
            var row = ids[i].Take(turns[i].MaxTokens).ToArray();
            var finish = ids[i].Length < turns[i].MaxTokens ? FinishReason.Stop : FinishReason.Length;
            answers[i] = new GeneratedAnswer(Pieces(row), prompts[i].Length, finish);
        }
        return answers;
    }

    /// <inheritdoc/>
    public IReadOnlyList<CandidateScore> Score(ChatTurn turn, IReadOnlyList<string> candidates)
    {
        using var scope = NewDisposeScope();
        var prompt = _model.PromptEncoder.EncodePrompt(turn.Question);
        var cands = candidates.Select(c => _model.PromptEncoder.EncodeAnswer(turn.Question, c, _model.Template.ScoreEndMarker)).ToArray();
        var r = _model.ScoreIds(PixelValues(new[] { turn }), new[] { prompt }, new[] { cands }, Instructions(new[] { turn.Question }));
        return candidates.Select((c, j) => new CandidateScore(c, r.Mean[0, j], r.Sum[0, j])).ToArray();
    }

    /// <summary>The Q-Former instruction ids of each question (InstructBLIP), or null for families without one.</summary>
    private IReadOnlyList<int[]>? Instructions(IEnumerable<string> questions)
    {
        if (!_model.NeedsInstruction) return null;
        return questions.Select(q => _model.InstructionIds(q) ?? throw new ArgumentException($"{ModelId}: no Q-Former tokenizer for the instruction")).ToArray();
    }

    /// <summary>Normalised model input [B,3,S,S]: a prompted canvas resized whole, a photo through the checkpoint's own preprocessing.</summary>
    private Tensor PixelValues(IReadOnlyList<ChatTurn> turns)
    {
        var rows = turns.Select(t => t.Image is not { } img ? throw new ArgumentException("this model needs an image in the request")
            : t.IsCanvas ? _model.PixelValues(img.unsqueeze(0))                              // [1, 3, S, S]
            : _model.Preprocessor.Preprocess(img)).ToArray();                                 // [1, 3, S, S]
        return cat(rows, 0);
    }

    /// <summary>The text each token adds: decode growing prefixes and keep the difference (tokenizers merge across tokens).</summary>
    private List<string> Pieces(int[] ids)
    {
        var pieces = new List<string>(ids.Length);
        string previous = "";
        for (int k = 1; k <= ids.Length; k++)
        {
            var text = _model.PromptEncoder.Decode(ids.Take(k));
            var piece = text.StartsWith(previous, StringComparison.Ordinal) ? text[previous.Length..] : text;
            pieces.Add(piece);
            previous = text;
        }
        return pieces;
    }

    /// <inheritdoc/>
    public void Dispose() => _model.Dispose();
}
