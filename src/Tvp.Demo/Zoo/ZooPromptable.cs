using static TorchSharp.torch;
using Tvp.Models;
using Tvp.Experiments;
using Tvp.Data;

namespace Tvp.Demo.Zoo;

/// <summary>
/// What every zoo model shares: labels (the task's own classes), logits and connector features from one
/// forward pass, and candidate scoring through the label mapping (identity by name when unset).
/// </summary>
internal abstract class ZooPromptable : ILabelledClassifier
{
    private IReadOnlyList<string>? _cachedCandidates;
    private LabelMapping? _cachedMapping;
    private long[]? _cachedIndices;

    protected ZooPromptable(ModelInfo info, IReadOnlyList<string> labels)
    {
        Info = info;
        Labels = labels;
    }

    /// <inheritdoc />
    public ModelInfo Info { get; }

    /// <inheritdoc />
    public abstract Device Device { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> Labels { get; }

    /// <inheritdoc />
    public LabelMapping? Mapping { get; set; }

    /// <summary>Logits [B, Labels] and connector features of prompted canvases (one forward pass).</summary>
    internal abstract (Tensor Logits, Tensor Connector) Forward(Tensor pixels);

    /// <inheritdoc />
    public Tensor Logits(Tensor pixels)
    {
        var (logits, connector) = Forward(pixels);
        connector.Dispose();
        return logits;
    }

    /// <inheritdoc />
    public Tensor ImageFeatures(Tensor pixels)
    {
        var (logits, connector) = Forward(pixels);
        logits.Dispose();
        return connector;
    }

    /// <inheritdoc />
    public Tensor TaskLoss(Tensor pixels, TaskBatch batch)
    {
        var (loss, features) = TaskLossWithFeatures(pixels, batch);
        features.Dispose();
        return loss;
    }

    /// <inheritdoc />
    public (Tensor Loss, Tensor Features) TaskLossWithFeatures(Tensor pixels, TaskBatch batch)
    {
        for (int i = 0; i < batch.Count; i++)
            if (batch.Targets[i] < 0) throw new ArgumentException($"{Info.Name}: task loss needs a target for every row; row {i} has none");
        using var scope = NewDisposeScope();
        var (logits, connector) = Forward(pixels);
        var mapped = Mapped(logits, batch);                                        // [B, C]
        var targets = tensor(batch.Targets.Select(t => (long)t).ToArray(), dtype: ScalarType.Int64, device: mapped.device);
        var loss = nn.functional.cross_entropy(mapped, targets);
        return (loss.MoveToOuterDisposeScope(), connector.MoveToOuterDisposeScope());
    }

    /// <inheritdoc />
    public Tensor Score(Tensor pixels, TaskBatch batch)
    {
        using var scope = NewDisposeScope();
        var logits = Logits(pixels);
        return nn.functional.log_softmax(Mapped(logits, batch), 1).MoveToOuterDisposeScope(); // [B, C]
    }

    /// <summary>Logits gathered at each row's candidates [B, C]; -inf where a row has fewer candidates.</summary>
    private Tensor Mapped(Tensor logits, TaskBatch batch)
    {
        if (logits.shape[0] != batch.Count)
            throw new ArgumentException($"{Info.Name}: {logits.shape[0]} images but the task batch has {batch.Count} rows");
        if (batch.SharedCandidates)
        {
            using var idx = tensor(LabelIndices(batch.Candidates[0]), dtype: ScalarType.Int64, device: logits.device);
            return logits.index_select(1, idx);                                     // [B, C]
        }
        int width = batch.Candidates.Max(c => c.Count);
        var rows = new Tensor[batch.Count];
        for (int i = 0; i < batch.Count; i++)
        {
            using var idx = tensor(LabelIndices(batch.Candidates[i]), dtype: ScalarType.Int64, device: logits.device);
            var row = logits[i].index_select(0, idx);                               // [c_i]
            rows[i] = row.shape[0] < width
                ? cat(new[] { row, full(width - row.shape[0], float.NegativeInfinity, device: logits.device) }) : row;
        }
        return stack(rows);                                                         // [B, C]
    }

    private long[] LabelIndices(IReadOnlyList<string> candidates)
    {
        if (ReferenceEquals(candidates, _cachedCandidates) && ReferenceEquals(Mapping, _cachedMapping)) return _cachedIndices!;
        var result = new long[candidates.Count];
        for (int i = 0; i < candidates.Count; i++)
        {
            int k;
            if (Mapping is { } m)
            {
                int c = m.IndexOf(candidates[i]);
                if (c < 0) throw new ArgumentException($"{Info.Name}: candidate '{candidates[i]}' is not a task class of the {m.Kind} label mapping");
                k = m.ModelLabels[c];
            }
            else
            {
                k = Labels.ToList().FindIndex(l => string.Equals(l, candidates[i], StringComparison.OrdinalIgnoreCase));
                if (k < 0) throw new ArgumentException($"{Info.Name}: candidate '{candidates[i]}' is not one of the model's labels ({string.Join(", ", Labels)})");
            }
            result[i] = k;
        }
        (_cachedCandidates, _cachedMapping, _cachedIndices) = (candidates, Mapping, result);
        return result;
    }

    /// <inheritdoc />
    public abstract void Dispose();
}
