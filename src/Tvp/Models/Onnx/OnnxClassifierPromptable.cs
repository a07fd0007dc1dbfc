using Tvp.Data;
using static TorchSharp.torch;

namespace Tvp.Models.Onnx;

/// <summary>
/// An ONNX image model with a logits output and a labels file: a classifier over its own labels. Task
/// classes reach model labels through <see cref="Mapping"/> (identity when none is set); scores are the
/// log-softmax of the mapped logits and the task loss their cross-entropy.
/// </summary>
public sealed class OnnxClassifierPromptable : OnnxImagePromptable, ILabelledClassifier
{
    private readonly string _logitsOutput;

    /// <summary>The model's own labels, from the card's labels file (one a line).</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Task class → model label mapping; null means identity (task class i ↔ label i).</summary>
    public LabelMapping? Mapping { get; set; }

    internal OnnxClassifierPromptable(OnnxImageCard card, Device device) : base(card, device)
    {
        _logitsOutput = card.LogitsOutput!;
        var labelsPath = card.Resolve(card.Labels!);
        if (!File.Exists(labelsPath))
        {
            Dispose();
            throw new FileNotFoundException($"{card.CardPath}: labels file not found: {labelsPath}", labelsPath);
        }
        Labels = File.ReadAllLines(labelsPath).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
    }

    /// <summary>Raw logits [B, Labels.Count].</summary>
    public Tensor Logits(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        var logits = Forward(pixels, _logitsOutput)[_logitsOutput];
        logits = logits.reshape(logits.shape[0], -1); // [B, labels]
        if (logits.shape[1] != Labels.Count)
            throw new InvalidDataException($"{Info.Name}: logits output '{_logitsOutput}' has {logits.shape[1]} entries but the labels file has {Labels.Count}");
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>Log-softmax over the label-mapped logits of each row's candidates: [B, C] (shorter rows padded with -inf).</summary>
    public override Tensor Score(Tensor pixels, TaskBatch batch)
    {
        using var scope = NewDisposeScope();
        using var logits = Logits(pixels);
        return MappedLogProbs(logits, batch).MoveToOuterDisposeScope();
    }

    /// <summary>Mean cross-entropy of the label-mapped logits against the batch targets.</summary>
    public override Tensor TaskLoss(Tensor pixels, TaskBatch batch)
    {
        using var scope = NewDisposeScope();
        using var logits = Logits(pixels);
        var logProbs = MappedLogProbs(logits, batch);                                       // [B, C]
        using var targets = tensor(batch.Targets.Select(t => (long)t).ToArray(), ScalarType.Int64, logProbs.device);
        if (batch.Targets.Any(t => t < 0)) throw new ArgumentException($"{Info.Name}: task loss needs a target for every row");
        return nn.functional.nll_loss(logProbs, targets).MoveToOuterDisposeScope();
    }

    private Tensor MappedLogProbs(Tensor logits, TaskBatch batch)
    {
        if (logits.shape[0] != batch.Count) throw new ArgumentException($"{Info.Name}: {logits.shape[0]} images but {batch.Count} task rows");
        int width = batch.Candidates.Max(c => c.Count);
        var rows = new List<Tensor>();
        var cache = new Dictionary<IReadOnlyList<string>, long[]>(ReferenceEqualityComparer.Instance);
        for (int b = 0; b < batch.Count; b++)
        {
            var cands = batch.Candidates[b];
            if (!cache.TryGetValue(cands, out var labels)) cache[cands] = labels = ModelLabelsOf(cands);
            using var idx = tensor(labels, ScalarType.Int64, logits.device);
            var row = logits[b].index_select(0, idx).log_softmax(0);                          // [C_b]
            if (cands.Count < width) row = nn.functional.pad(row, new long[] { 0, width - cands.Count }, value: double.NegativeInfinity);
            rows.Add(row);
        }
        return stack(rows); // [B, C]
    }

    private long[] ModelLabelsOf(IReadOnlyList<string> candidates)
    {
        var mapping = Mapping;
        return candidates.Select((c, i) =>
        {
            if (mapping is null)
            {
                if (i >= Labels.Count) throw new ArgumentException($"{Info.Name}: {candidates.Count} task classes but only {Labels.Count} labels for an identity mapping");
                return (long)i;
            }
            int k = mapping.IndexOf(c);
            if (k < 0) throw new ArgumentException($"{Info.Name}: task class '{c}' is not in the label mapping ({mapping.Kind})");
            return (long)mapping.ModelLabels[k];
        }).ToArray();
    }
}
