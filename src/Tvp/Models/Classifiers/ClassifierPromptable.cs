using Tvp.IO;
using TorchSharp;
using Tvp.Data;
using static TorchSharp.torch;

namespace Tvp.Models.Classifiers;

/// <summary>
/// A pretrained image classifier described by a model card (CIFAR ResNet, MobileNetV1, MobileNetV2), seen
/// through the prompting contract: the prompted canvas is resized and normalised by <see cref="ModelInput"/>,
/// features are the penultimate pooled activations, and task scores are the logits of the model labels
/// that the <see cref="Mapping"/> assigns to the task's classes.
/// </summary>
public sealed class ClassifierPromptable : ILabelledClassifier
{
    private readonly ClassifierNetwork _network;
    private IReadOnlyList<string>? _cachedCandidates;
    private LabelMapping? _cachedMapping;
    private long[]? _cachedIndices;

    private ClassifierPromptable(ModelCard card, ClassifierNetwork network, Device device)
    {
        Card = card;
        _network = network;
        Device = device;
        Info = new ModelInfo(card.Name, ClassifierFamily.FamilyName, card.InputSize, card.Mean, card.Std, "bilinear");
    }

    /// <summary>Loads the model a card describes onto <paramref name="device"/> (CPU when null), in eval mode.</summary>
    /// <exception cref="FileNotFoundException">The card or its weights are missing.</exception>
    /// <exception cref="InvalidDataException">A bad card, or weights that do not fit the architecture (all mismatches listed).</exception>
    public static ClassifierPromptable Load(string cardPath, Device? device = null) => Load(ModelCard.Read(cardPath), device);

    /// <summary>Loads the model of an already read (possibly edited) card.</summary>
    internal static ClassifierPromptable Load(ModelCard card, Device? device = null)
    {
        device ??= CPU;
        var network = Build(card);      // classifiers are small: built normally (see EmptyModules.MinimumBytes)
        try
        {
            StateDictLoader.Load(network, Checkpoint.Open(card.WeightsPath),
                optional: name => name.EndsWith("num_batches_tracked", StringComparison.Ordinal));
            network.eval();
            network.FoldBatchNorms();
            network.to(device);
            foreach (var p in network.parameters()) p.requires_grad = false;
        }
        catch
        {
            network.Dispose();
            throw;
        }
        return new ClassifierPromptable(card, network, device);
    }

    internal static ClassifierNetwork Build(ModelCard card) => card.Architecture switch
    {
        CifarResNetSpec s => new CifarResNet(s, card.Labels.Count, card.Padding),
        MobileNetV1Spec s => new MobileNetV1(s, card.Labels.Count, card.Padding),
        MobileNetV2Spec s => new MobileNetV2(s, card.Labels.Count, card.Padding),
        _ => throw new InvalidDataException($"{card.CardPath}: no network for architecture {card.Architecture.Kind}"),
    };

    /// <summary>The card the model was loaded from.</summary>
    internal ModelCard Card { get; }

    /// <summary>The network (normalised input → logits).</summary>
    internal ClassifierNetwork Network => _network;

    /// <inheritdoc/>
    public ModelInfo Info { get; }

    /// <inheritdoc/>
    public Device Device { get; }

    /// <inheritdoc/>
    public IReadOnlyList<string> Labels => Card.Labels;

    /// <inheritdoc/>
    public LabelMapping? Mapping { get; set; }

    /// <inheritdoc/>
    public Tensor Logits(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        var x = ModelInput.Prepare(pixels, Info).to(WeightDType); // [B, 3, S, S], cast at the model's input
        return _network.forward(x).to(ScalarType.Float32).MoveToOuterDisposeScope(); // [B, labels]
    }

    /// <summary>The dtype the network's weights are kept in (<c>--dtype</c>).</summary>
    private ScalarType WeightDType => _network.parameters().First().dtype;

    /// <summary>The penultimate pooled features [B, D] (what FCA compares for a classifier).</summary>
    public Tensor ImageFeatures(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        var x = ModelInput.Prepare(pixels, Info).to(WeightDType);
        return _network.Features(x).to(ScalarType.Float32).MoveToOuterDisposeScope(); // [B, D]
    }

    /// <summary>Log-softmax over the mapped logits [B, C] (C = most candidates in a row; shorter rows padded with -inf).</summary>
    public Tensor Score(Tensor pixels, TaskBatch batch)
    {
        using var scope = NewDisposeScope();
        return nn.functional.log_softmax(MappedLogits(pixels, batch), 1).MoveToOuterDisposeScope();
    }

    /// <summary>Cross-entropy of the mapped logits against <see cref="TaskBatch.Targets"/> (every target must be known).</summary>
    public Tensor TaskLoss(Tensor pixels, TaskBatch batch)
    {
        using var scope = NewDisposeScope();
        return CrossEntropy(MappedLogits(pixels, batch), batch).MoveToOuterDisposeScope();
    }

    /// <summary>Task loss and penultimate features from ONE forward pass (the head runs on the features FCA compares).</summary>
    public (Tensor Loss, Tensor Features) TaskLossWithFeatures(Tensor pixels, TaskBatch batch)
    {
        CheckRows(pixels, batch);
        using var scope = NewDisposeScope();
        var features = _network.Features(ModelInput.Prepare(pixels, Info).to(WeightDType)); // [B, D], cast at the model's input
        var loss = CrossEntropy(Gather(_network.Classify(features).to(ScalarType.Float32), batch), batch);
        return (loss.MoveToOuterDisposeScope(), features.to(ScalarType.Float32).MoveToOuterDisposeScope());
    }

    private Tensor CrossEntropy(Tensor mapped, TaskBatch batch)
    {
        for (int i = 0; i < batch.Count; i++)
            if (batch.Targets[i] < 0) throw new ArgumentException($"{Info.Name}: task loss needs a target for every row; row {i} has none");
        var targets = tensor(batch.Targets.Select(t => (long)t).ToArray(), dtype: ScalarType.Int64, device: mapped.device);
        return nn.functional.cross_entropy(mapped, targets);
    }

    private void CheckRows(Tensor pixels, TaskBatch batch)
    {
        if (pixels.shape[0] != batch.Count)
            throw new ArgumentException($"{Info.Name}: {pixels.shape[0]} images but the task batch has {batch.Count} rows");
    }

    /// <summary>Logits gathered at each row's candidates' model labels [B, C]; -inf where a row has fewer candidates.</summary>
    internal Tensor MappedLogits(Tensor pixels, TaskBatch batch)
    {
        CheckRows(pixels, batch);
        using var scope = NewDisposeScope();
        return Gather(Logits(pixels), batch).MoveToOuterDisposeScope();
    }

    /// <summary>Model logits [B, L] gathered at each row's candidates' model labels [B, C]; -inf where a row has fewer candidates.</summary>
    private Tensor Gather(Tensor logits, TaskBatch batch)
    {
        using var scope = NewDisposeScope();
        if (batch.SharedCandidates)
        {
            var index = tensor(ModelLabelsOf(batch.Candidates[0]), dtype: ScalarType.Int64, device: logits.device);
            return logits.index_select(1, index).MoveToOuterDisposeScope(); // [B, C]
        }
        int b = batch.Count, c = batch.Candidates.Max(r => r.Count);
        var idx = new long[b * c];
        var valid = new bool[b * c];
        for (int i = 0; i < b; i++)
        {
            var row = ModelLabelsOf(batch.Candidates[i]);
            for (int j = 0; j < row.Length; j++) { idx[i * c + j] = row[j]; valid[i * c + j] = true; }
        }
        var indexMatrix = tensor(idx, new long[] { b, c }, ScalarType.Int64).to(logits.device);
        var validMatrix = tensor(valid, new long[] { b, c }).to(logits.device);
        var gathered = logits.gather(1, indexMatrix); // [B, C]
        return gathered.masked_fill(validMatrix.logical_not(), float.NegativeInfinity).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The model label of each candidate (a task class name): through <see cref="Mapping"/> when set; otherwise
    /// each candidate must be one of the model's own labels (identity when the candidates are the labels).
    /// </summary>
    internal long[] ModelLabelsOf(IReadOnlyList<string> candidates)
    {
        if (ReferenceEquals(candidates, _cachedCandidates) && ReferenceEquals(Mapping, _cachedMapping)) return _cachedIndices!;
        var result = new long[candidates.Count];
        for (int i = 0; i < candidates.Count; i++)
        {
            if (Mapping is { } m)
            {
                int k = m.IndexOf(candidates[i]);
                if (k < 0)
                    throw new ArgumentException($"{Info.Name}: candidate '{candidates[i]}' is not a task class of the {m.Kind} label mapping ({string.Join(", ", m.TaskClasses)})");
                result[i] = m.ModelLabels[k];
                if (result[i] < 0 || result[i] >= Labels.Count)
                    throw new ArgumentException($"{Info.Name}: label mapping sends '{candidates[i]}' to model label {result[i]}, outside 0..{Labels.Count - 1}");
            }
            else
            {
                int k = IndexOfLabel(candidates[i]);
                if (k < 0)
                    throw new ArgumentException($"{Info.Name}: candidate '{candidates[i]}' is not one of the model's {Labels.Count} labels and no label mapping is set (use identity, a mapping file or frequency label mapping)");
                result[i] = k;
            }
        }
        (_cachedCandidates, _cachedMapping, _cachedIndices) = (candidates, Mapping, result);
        return result;
    }

    private int IndexOfLabel(string name)
    {
        for (int i = 0; i < Labels.Count; i++) if (Labels[i] == name) return i;
        return -1;
    }

    /// <summary>Releases the network's tensors.</summary>
    public void Dispose() => _network.Dispose();
}
