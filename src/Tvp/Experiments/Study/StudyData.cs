using Tvp.Data;
using Tvp.Evaluation;
using Tvp.Models;
using Tvp.Prompts;
using Tvp.Training;
using static TorchSharp.torch;

namespace Tvp.Experiments.Study;

/// <summary>
/// Everything a study shares across its jobs, made once: the datasets (training images per training condition,
/// test images per test condition, each with one decoded-image cache), the fixed test sample, every model (loaded
/// once), each classifier's label mapping per mapping kind (computed once), the guide, and the no-prompt
/// outcomes per (model, label mapping, condition).
/// </summary>
internal sealed class StudyData : IDisposable
{
    private readonly StudySpec _spec;
    private readonly IImageDataset _trainImages, _testImages;
    private readonly string _taskName;
    private readonly Device _device;
    private readonly CanvasPipeline _pipeline;
    private readonly IExperimentProgress _progress;
    private readonly Dictionary<string, IPromptableModel> _models = new();
    private readonly Dictionary<(TestCondition, bool Train), (ImageCache Cache, CanvasBatches Batches)> _batches = new();
    private readonly Dictionary<(string Model, LabelMapChoice LabelMap), LabelMapping?> _mappings = new();
    private readonly Dictionary<(string Model, LabelMapChoice LabelMap, TestCondition), bool[]> _none = new();
    private readonly StudyDataSetup? _setup;
    private readonly IImageTextGuide? _guide;

    /// <summary>Task classes.</summary>
    public IReadOnlyList<string> Classes => _trainImages.Classes;

    /// <summary>Test images scored by every job (sampled with the data seed).</summary>
    public int[] TestIndices { get; }

    /// <summary>TSE's guide, or null.</summary>
    public TaskSemantics? Semantics { get; }

    public StudyData(StudySpec spec, TvpOptions sizes, IExperimentProgress progress, CancellationToken cancel)
    {
        _spec = spec;
        _progress = progress;
        _device = TorchDevice.Parse(spec.Device);
        _pipeline = new CanvasPipeline(sizes.CanvasSize, sizes.ImageSize);
        try
        {
            if (StudyDataSources.Find(spec.Data) is { } source)
            {
                // A registered data set with its own models (the demo's corrupted Fashion-MNIST and zoo).
                _setup = source.Open(spec, sizes.CanvasSize, sizes.ImageSize, _device, progress, cancel);
                _trainImages = _setup.Train;
                _testImages = _setup.Test;
                _taskName = _setup.TaskName;
                foreach (var (name, m) in _setup.Models) _models[name] = m;
                _guide = _setup.Guide;
            }
            else
            {
                if (!Directory.Exists(Path.Combine(spec.Data, "train")) || !Directory.Exists(Path.Combine(spec.Data, "test")))
                    throw new DirectoryNotFoundException($"study {spec.Name}: data {spec.Data}: expected train/ and test/ folders inside (ImageFolder layout)");
                _trainImages = new ImageFolderDataset(Path.Combine(spec.Data, "train"));
                _testImages = new ImageFolderDataset(Path.Combine(spec.Data, "test"));
                if (!_trainImages.Classes.SequenceEqual(_testImages.Classes)) throw new InvalidDataException($"data {spec.Data}: train/ and test/ have different classes");
                _taskName = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(spec.Data)));
                if (spec.Guide is { } g)
                {
                    progress.OnMessage($"loading guide {g}");
                    _guide = GuideRegistry.Load(g, _device);
                    if (g != "offline") _models[StudyPlan.GuideZeroShotName(spec)] = ModelRegistry.Load(g, _device);
                }
            }
            if (_guide is not null) Semantics = new TaskSemantics(_guide);
            TestIndices = spec.TestLimit > 0 && spec.TestLimit < _testImages.Count
                ? Samplers.Limit(_testImages, spec.TestLimit, Seeds.Mix(spec.DataSeed, 2)).OrderBy(i => i).ToArray()
                : Enumerable.Range(0, _testImages.Count).ToArray();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The training task under <paramref name="condition"/> (clean or corrupted training images).</summary>
    public CanvasBatches TrainBatches(TestCondition condition) => Batches(condition, train: true);

    /// <summary>The test images under <paramref name="condition"/>.</summary>
    public CanvasBatches TestBatches(TestCondition condition) => Batches(condition, train: false);

    private CanvasBatches Batches(TestCondition c, bool train)
    {
        if (_batches.TryGetValue((c, train), out var b)) return b.Batches;
        IImageDataset images = train ? _trainImages : _testImages;
        if (c.Corruption is { } name) images = new CorruptedDataset(images, name, c.Severity, Seeds.Mix(_spec.DataSeed, train ? 4 : 5));
        var task = new ClassificationTask(images, c.Corruption is null ? _taskName : $"{_taskName}-{c.Corruption}-{c.Severity}");
        var cache = new ImageCache(task);
        var batches = new CanvasBatches(task, _pipeline, cache);
        _batches[(c, train)] = (cache, batches);
        return batches;
    }

    /// <summary>The model named <paramref name="name"/> (loaded on first use).</summary>
    public IPromptableModel Model(string name)
    {
        if (_models.TryGetValue(name, out var m)) return m;
        if (_setup is not null) throw new ArgumentException($"study {_spec.Name}: '{name}' is not a model of data set {_spec.Data} ({string.Join(", ", _models.Keys)})");
        _progress.OnMessage($"loading {name}");
        return _models[name] = ModelRegistry.Load(name, _device);
    }

    /// <summary>Sets each classifier's mapping for <paramref name="labelMap"/> (computed once per model and kind, on clean training images sampled with the data seed).</summary>
    public void MapLabels(IPromptableModel model, LabelMapChoice labelMap, CancellationToken cancel)
    {
        if (model is not ILabelledClassifier clf) return;
        if (_mappings.TryGetValue((model.Info.Name, labelMap), out var cached)) { if (cached is not null) clf.Mapping = cached; return; }
        var clean = TrainBatches(TestCondition.Clean);
        var idx = Samplers.Limit(clean.Data, Math.Min(_spec.LabelMapImages, clean.Data.Count), Seeds.Mix(_spec.DataSeed, 3)).OrderBy(i => i).ToArray();
        var p = labelMap.Kind == LabelMapKind.Frequency ? _progress.Begin($"label mapping {model.Info.Name} on {idx.Length} training images", idx.Length) : null;
        _mappings[(model.Info.Name, labelMap)] = LabelMapper.Apply(model, labelMap, Classes, clean, idx, 64, p, cancel);
        if (p is not null) _progress.End();
    }

    /// <summary>No-prompt correctness of <paramref name="model"/> under <paramref name="condition"/> (computed once per model, label mapping and condition).</summary>
    public bool[] NoPrompt(IPromptableModel model, LabelMapChoice labelMap, TestCondition condition, int batchSize, CancellationToken cancel)
    {
        var key = (model.Info.Name, labelMap, condition);
        if (_none.TryGetValue(key, out var done)) return done;
        var r = CandidateScorer.Evaluate(new[] { model }, new[] { new CandidateScorer.NamedPrompt(StudyResults.NoPrompt, null) },
            TestBatches(condition), TestIndices, batchSize, cancel: cancel);
        return _none[key] = r[0].Correct!;
    }

    public void Dispose()
    {
        Semantics?.Dispose();
        foreach (var b in _batches.Values) b.Cache.Dispose();
        if (_setup is not null) _setup.Owner.Dispose();
        else
        {
            foreach (var m in _models.Values) m.Dispose();
            _guide?.Dispose();
        }
    }
}
