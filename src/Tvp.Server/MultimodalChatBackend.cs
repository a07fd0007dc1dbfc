using Tvp.Models;
using Tvp.Models.Multimodal;
using static TorchSharp.torch;

namespace Tvp.Server;

/// <summary>
/// <see cref="IChatBackend"/> over any of tvp's multimodal LMs (the <see cref="MultimodalPromptable"/> core: LLaVA, BLIP-2
/// OPT / Flan-T5, InstructBLIP, MiniGPT-4): the model's prompt template and tokenizer build the prompt ids (and the
/// Q-Former instruction ids for InstructBLIP), <c>GenerateIds</c> decodes greedily (a batch of turns runs as one
/// batch), <c>ScoreIds</c> scores candidates with the shared-prefix scorer. The ONLY file of the server that touches
/// model code.
/// </summary>
public sealed class MultimodalChatBackend : IChatBackend
{
    private readonly MultimodalPromptable _model;

    /// <inheritdoc/>
    public string ModelId { get; }

    /// <inheritdoc/>
    public string Family => _model.Info.Family;

    /// <inheritdoc/>
    public int MaxImagesPerTurn => 1;

    private MultimodalChatBackend(MultimodalPromptable model, string id) { _model = model; ModelId = id; }

    /// <summary>Loads a multimodal checkpoint (folder or registry name) on the CPU; <paramref name="modelId"/> defaults to the model's name.</summary>
    /// <exception cref="ArgumentException">Not a multimodal LM, or the folder has no tokenizer (the server needs text in and out).</exception>
    public static MultimodalChatBackend Load(string folder, string? modelId = null)
    {
        var (path, family) = ModelRegistry.Resolve(folder);
        if (family is not IMultimodalFamily)
            throw new ArgumentException($"--model {folder}: a {family.Name} model; tvp serve runs multimodal chat checkpoints (LLaVA, BLIP-2, InstructBLIP, MiniGPT-4)");
        var model = (MultimodalPromptable)family.Load(path, CPU);
        if (!model.HasTokenizer)
        {
            model.Dispose();
            throw new ArgumentException($"--model {folder}: the checkpoint has no tokenizer (tokenizer.json or tokenizer.model)");
        }
        return new MultimodalChatBackend(model, modelId ?? model.Info.Name);
    }

    /// <inheritdoc/>
    public IReadOnlyList<GeneratedAnswer> Generate(IReadOnlyList<ChatTurn> turns)
    {
        using var scope = NewDisposeScope();
        var answers = Run(() => _model.GenerateAnswers(PixelValues(turns), turns.Select(t => t.Question).ToArray(), turns.Max(t => t.MaxTokens)));
        return answers.Select((a, i) =>
        {
            var pieces = a.Pieces.Take(turns[i].MaxTokens).ToArray();
            var finish = a.Pieces.Count < turns[i].MaxTokens ? FinishReason.Stop : FinishReason.Length;
            return new GeneratedAnswer(pieces, a.PromptTokens, finish);
        }).ToArray();
    }

    /// <inheritdoc/>
    public IReadOnlyList<CandidateScore> Score(ChatTurn turn, IReadOnlyList<string> candidates)
    {
        using var scope = NewDisposeScope();
        var r = Run(() => _model.ScoreAnswers(PixelValues(new[] { turn }), turn.Question, candidates));
        return candidates.Select((c, j) => new CandidateScore(c, r.Mean[0, j], r.Sum[0, j])).ToArray();
    }

    /// <summary>A model that cannot read the request (no Q-Former tokenizer for the instruction) is the request's fault: a 4xx.</summary>
    private T Run<T>(Func<T> call)
    {
        try { return call(); }
        catch (InvalidOperationException e) { throw new ArgumentException($"{ModelId}: {e.Message}", e); }
    }

    /// <summary>Normalised model input [B,3,S,S]: a prompted canvas resized whole, a photo through the checkpoint's own preprocessing.</summary>
    private Tensor PixelValues(IReadOnlyList<ChatTurn> turns)
    {
        var rows = turns.Select(t => t.Image is not { } img ? throw new ArgumentException("this model needs an image in the request")
            : t.IsCanvas ? _model.PixelValues(img.unsqueeze(0))                              // [1, 3, S, S]
            : _model.PreprocessImage(img)).ToArray();                                         // [1, 3, S, S]
        return cat(rows, 0);
    }

    /// <inheritdoc/>
    public void Dispose() => _model.Dispose();
}
