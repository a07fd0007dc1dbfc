using System.Globalization;
using Tvp.Evaluation;
using Tvp.Models;
using Tvp.Prompts;
using Tvp.Training;

namespace Tvp.Experiments;

/// <summary>
/// Iterative label mapping (ILM, as in ILM-VP, CVPR 2023): at the start of every epoch the source classifier's
/// frequency label mapping is recomputed on the training images carrying the CURRENT prompt. Epoch 0 keeps the
/// unprompted FLM (the prompt starts at zero, so the result would be the same). At evaluation the source keeps the
/// mapping of its last training epoch (<see cref="Trained"/>), as ILM-VP does; see <see cref="MapForPrompt"/>.
/// </summary>
internal sealed class IterativeLabelMapping : IEpochStartHook
{
    private readonly ILabelledClassifier _model;
    private readonly IReadOnlyList<string> _classes;
    private readonly CanvasBatches _batches;
    private readonly IReadOnlyList<int> _trainIdx;
    private readonly int _batchSize;
    private readonly Action<string>? _log;
    private readonly LabelMapping? _unprompted;
    private LabelMapping? _trained;

    /// <summary>Creates the hook for <paramref name="model"/> on the given training images.</summary>
    public IterativeLabelMapping(ILabelledClassifier model, IReadOnlyList<string> classes, CanvasBatches batches, IReadOnlyList<int> trainIdx,
        int batchSize, Action<string>? log = null)
    {
        (_model, _classes, _batches, _trainIdx, _batchSize, _log) = (model, classes, batches, trainIdx, batchSize, log);
        _unprompted = model.Mapping;
    }

    /// <summary>The classifier whose mapping this hook recomputes (the training source).</summary>
    public ILabelledClassifier Model => _model;

    /// <summary>
    /// The mapping the source was trained with in its last epoch (set at every epoch start and on resume; null before
    /// the first epoch). ILM-VP evaluates the trained prompt on its source with this mapping.
    /// </summary>
    public LabelMapping? Trained => _trained;

    /// <summary>Gives the model back the (unprompted) mapping it had when the hook was made: "none" is evaluated with it.</summary>
    public void RestoreUnprompted() => _model.Mapping = _unprompted;

    /// <inheritdoc/>
    public string OnEpochStart(int epoch, VisualPrompt prompt, CancellationToken cancel)
    {
        if (epoch > 0 || _model.Mapping is null)
        {
            var before = _model.Mapping?.ModelLabels.ToArray();
            _model.Mapping = LabelMapper.Frequency(_model, _classes, _batches, _trainIdx, _batchSize, cancel: cancel, prompt: prompt);
            int changed = before is null ? _classes.Count : before.Where((l, i) => l != _model.Mapping.ModelLabels[i]).Count();
            _log?.Invoke($"ILM epoch {epoch + 1}: {_model.Info.Name} label mapping recomputed on prompted images ({changed} of {_classes.Count} classes changed)");
        }
        _trained = _model.Mapping;
        return string.Join(",", _model.Mapping.ModelLabels.Select(l => l.ToString(CultureInfo.InvariantCulture)));
    }

    /// <inheritdoc/>
    public void Restore(string state)
    {
        var labels = state.Split(',').Select(x => int.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        _model.Mapping = _trained = new LabelMapping(_classes, labels, "iterative");
    }

    /// <summary>
    /// Switches every labelled classifier to its mapping for <paramref name="prompt"/> (how ILM evaluates a prompt) and
    /// returns the switch, which goes back and forth. The source the prompt was trained on (<paramref name="trained"/>'s
    /// model) keeps the mapping of its last training epoch, as ILM-VP does; every other classifier (never trained with
    /// the prompt) gets the FLM of the training images carrying the prompt. "Unprompted" is the mapping each had before
    /// (for the source, the one it had when the hook was made).
    /// </summary>
    public static PromptedMappings MapForPrompt(IEnumerable<IPromptableModel> models, IReadOnlyList<string> classes,
        CanvasBatches batches, IReadOnlyList<int> trainIdx, int batchSize, VisualPrompt prompt, CancellationToken cancel,
        IterativeLabelMapping? trained = null)
    {
        var pairs = new Dictionary<ILabelledClassifier, (LabelMapping? Unprompted, LabelMapping Prompted)>();
        foreach (var clf in models.OfType<ILabelledClassifier>().Distinct())
            pairs[clf] = trained is not null && ReferenceEquals(clf, trained._model) && trained._trained is { } last
                ? (trained._unprompted, last)
                : (clf.Mapping, LabelMapper.Frequency(clf, classes, batches, trainIdx, batchSize, cancel: cancel, prompt: prompt));
        var result = new PromptedMappings(pairs);
        result.UsePrompted();
        return result;
    }
}

/// <summary>Each classifier's unprompted mapping and its mapping for one prompt (ILM evaluation); switches between them.</summary>
internal sealed class PromptedMappings
{
    private readonly IReadOnlyDictionary<ILabelledClassifier, (LabelMapping? Unprompted, LabelMapping Prompted)> _pairs;

    internal PromptedMappings(IReadOnlyDictionary<ILabelledClassifier, (LabelMapping? Unprompted, LabelMapping Prompted)> pairs) => _pairs = pairs;

    /// <summary>Every classifier uses its mapping for the prompt.</summary>
    public void UsePrompted() { foreach (var (m, p) in _pairs) m.Mapping = p.Prompted; }

    /// <summary>Every classifier uses its unprompted mapping again.</summary>
    public void UseUnprompted() { foreach (var (m, p) in _pairs) m.Mapping = p.Unprompted; }
}
