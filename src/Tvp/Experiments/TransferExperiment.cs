using System.Diagnostics;
using Tvp.Evaluation;
using Tvp.Models;
using Tvp.Prompts;
using Tvp.Training;
using static TorchSharp.torch;

namespace Tvp.Experiments;

/// <summary>
/// The main job: learn a prompt on the source, then evaluate the source and every target with and without it
/// on the test split. Writes the run folder (options, metrics, checkpoints, prompt, results).
/// </summary>
public static class TransferExperiment
{
    /// <summary>Runs (or resumes) a transfer experiment into <paramref name="runDir"/>.</summary>
    public static TransferOutcome Run(TvpOptions options, string runDir, bool resume, bool overwrite = false,
        IExperimentProgress? progress = null, CancellationToken cancel = default) =>
        Run(options, runDir, resume, overwrite, evaluate: true, progress, cancel);

    /// <summary>Runs (or resumes) training, and evaluation on the test split when <paramref name="evaluate"/> (else only the source is loaded).</summary>
    public static TransferOutcome Run(TvpOptions options, string runDir, bool resume, bool overwrite, bool evaluate,
        IExperimentProgress? progress = null, CancellationToken cancel = default)
    {
        progress ??= new SilentProgress();
        if (!resume) Check(options);
        var clock = Stopwatch.StartNew();
        bool existed = Directory.Exists(runDir);
        var (run, o) = RunFolder.Open(runDir, options, resume, overwrite, progress.OnMessage); // with resume: the run's own options
        using var runLock = run; // the run folder's writer lock, held until the run ends
        if (resume) Check(o);
        try
        {
            var device = TorchDevice.Parse(o.Device);
            var data = ExperimentData.Load(o);
            progress.OnMessage(data.ValidationNote);
            using var batches = new ExperimentBatches(data, o);
            var (trainBatches, testBatches) = (batches.Train, batches.Test);
            var models = LoadModels(evaluate ? o : o with { Targets = Array.Empty<string>() }, device, progress);
            try
            {
                var source = models[0];
                foreach (var m in models) MapLabels(m, o, data, trainBatches, progress, cancel);
                using var guide = o.Tse > 0 && o.Guide is not null ? GuideRegistry.Load(o.Guide, device) : null;
                using var tse = guide is null ? null : new TaskSemantics(guide);
                using var prompt = new VisualPrompt(o.PromptShape, o.CanvasSize, o.PromptSize, device);
                var ilm = o.LabelMap.Kind == LabelMapKind.Iterative && source is ILabelledClassifier sc
                    ? new IterativeLabelMapping(sc, data.Train.Classes, trainBatches, data.TrainIndices, o.EvalBatchSize, progress.OnMessage) : null;
                var trainer = new PromptTrainer(source, o.Trainer, tse, progress, ilm);
                progress.Begin($"train on {source.Info.Name}", (int)((data.TrainIndices.Length + o.BatchSize - 1) / o.BatchSize * o.Epochs));
                var meta = new PromptMetadata(prompt.Shape, o.CanvasSize, o.ImageSize, o.PromptSize, o.Source, data.Train.Name, o.Fca, o.Tse);
                TrainingResult training;
                try { training = trainer.Train(prompt, trainBatches, data.TrainIndices, data.ValidationIndices, run.CheckpointPath, run.MetricsPath, resume, cancel); }
                catch (TrainingDivergedException) { PromptFile.Save(run.PromptPath(), prompt, meta); throw; } // the best (finite) prompt is kept
                ilm?.RestoreUnprompted(); // "none" is evaluated with the unprompted FLM
                progress.End();
                PromptFile.Save(run.PromptPath(), prompt, meta);
                if (!evaluate)
                {
                    var empty = new TransferOutcome(run.Path, Array.Empty<ModelResult>(), new TransferMatrix(Array.Empty<EvaluationResult>(), new Dictionary<string, string>()),
                        training, clock.Elapsed, 0);
                    ResultsWriter.Write(run, empty);
                    Report.RunReport.Write(run.Path);
                    return empty;
                }
                var outcome = Evaluate(o, models, new[] { new CandidateScorer.NamedPrompt(source.Info.Name, prompt) }, data, testBatches, run, training, clock, progress, cancel, trainBatches, ilm);
                ResultsWriter.Write(run, outcome);
                Report.RunReport.Write(run.Path);
                return outcome;
            }
            finally
            {
                foreach (var m in models) m.Dispose();
            }
        }
        catch when (!existed && !resume && !File.Exists(run.CheckpointPath) && !File.Exists(run.PromptPath()))
        {
            // Nothing worth keeping was produced: leave no half-made run folder behind.
            try { Directory.Delete(run.Path, recursive: true); } catch (IOException) { }
            throw;
        }
    }

    private static void Check(TvpOptions o)
    {
        o.Validate();
        if (string.IsNullOrWhiteSpace(o.Source)) throw new ArgumentException("--source is required");
    }

    /// <summary>Loads source and targets (source first; duplicates dropped).</summary>
    internal static List<IPromptableModel> LoadModels(TvpOptions o, Device device, IExperimentProgress progress)
    {
        var names = new[] { o.Source }.Concat(o.Targets).Where(n => !string.IsNullOrWhiteSpace(n)).Distinct().ToArray();
        var models = new List<IPromptableModel>();
        try
        {
            foreach (var n in names)
            {
                progress.OnMessage($"loading {n}");
                models.Add(ModelRegistry.Load(n, device));
            }
        }
        catch
        {
            foreach (var m in models) m.Dispose();
            throw;
        }
        return models;
    }

    internal static void MapLabels(IPromptableModel m, TvpOptions o, ExperimentData data, CanvasBatches trainBatches, IExperimentProgress progress, CancellationToken cancel)
    {
        if (m is not ILabelledClassifier) return;
        var p = o.LabelMap.IsFrequency ? progress.Begin($"label mapping {m.Info.Name}", data.TrainIndices.Length) : null;
        var map = LabelMapper.Apply(m, o.LabelMap, data.Train.Classes, trainBatches, data.TrainIndices, o.EvalBatchSize, p, cancel);
        if (p is not null) progress.End();
        if (map is not null && o.LabelMap.IsFrequency && m is ILabelledClassifier clf)
            progress.OnMessage($"{m.Info.Name}: " + string.Join(", ", map.TaskClasses.Select((c, i) => $"{c}→{clf.Labels[map.ModelLabels[i]]}")));
    }

    /// <summary>
    /// Evaluates all models with no prompt and each given prompt; builds results and the matrix. With iterative label
    /// mapping (and <paramref name="trainBatches"/>), each prompt is evaluated with every classifier's FLM recomputed on
    /// the training images carrying that prompt — except the source of <paramref name="trained"/>, which keeps its last
    /// training mapping — and "none" with the unprompted FLM.
    /// </summary>
    internal static TransferOutcome Evaluate(TvpOptions o, IReadOnlyList<IPromptableModel> models, IReadOnlyList<CandidateScorer.NamedPrompt> prompts,
        ExperimentData data, CanvasBatches testBatches, RunFolder run, TrainingResult? training, Stopwatch clock, IExperimentProgress progress, CancellationToken cancel,
        CanvasBatches? trainBatches = null, IterativeLabelMapping? trained = null)
    {
        var all = new[] { new CandidateScorer.NamedPrompt("none", null) }.Concat(prompts).ToArray();
        var evalClock = Stopwatch.StartNew();
        List<EvaluationResult> results;
        if (o.LabelMap.Kind == LabelMapKind.Iterative && trainBatches is not null)
        {
            results = new List<EvaluationResult>();
            foreach (var one in all)
            {
                var previous = one.Prompt is null ? null
                    : IterativeLabelMapping.MapForPrompt(models, data.Train.Classes, trainBatches, data.TrainIndices, o.EvalBatchSize, one.Prompt, cancel, trained);
                var p1 = progress.Begin($"evaluate {models.Count} model(s) with prompt {one.Name}", data.TestIndices.Length);
                results.AddRange(CandidateScorer.Evaluate(models, new[] { one }, testBatches, data.TestIndices, o.EvalBatchSize, p1, cancel));
                progress.End();
                previous?.UseUnprompted();
            }
        }
        else
        {
            var p = progress.Begin($"evaluate {models.Count} model(s) × {all.Length} prompt(s)", data.TestIndices.Length);
            results = CandidateScorer.Evaluate(models, all, testBatches, data.TestIndices, o.EvalBatchSize, p, cancel).ToList();
            progress.End();
        }
        double evalRate = data.TestIndices.Length * (double)models.Count * all.Length / Math.Max(1e-9, evalClock.Elapsed.TotalSeconds);
        var roles = models.Select((m, i) => (m.Info.Name, i == 0 && training is not null ? "source" : "target"))
            .GroupBy(t => t.Name).ToDictionary(g => g.Key, g => g.First().Item2);
        var matrix = new TransferMatrix(results, roles);
        var first = prompts.Count > 0 ? prompts[0].Name : "none";
        var perModel = models.Select(m => m.Info.Name).Distinct().Select(name =>
        {
            var z = matrix.Cell("none", name)!;
            var w = matrix.Cell(first, name) ?? z;
            return new ModelResult(name, roles[name], z.Top1, w.Top1, z.Top5, w.Top5, z.Count);
        }).ToArray();
        return new TransferOutcome(run.Path, perModel, matrix, training, clock.Elapsed, evalRate);
    }
}
