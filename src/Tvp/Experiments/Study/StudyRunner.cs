using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Tvp.Evaluation;
using Tvp.IO;
using Tvp.Models;
using Tvp.Prompts;
using Tvp.Training;

namespace Tvp.Experiments.Study;

/// <summary>What a study run did.</summary>
/// <param name="Dir">Study folder.</param>
/// <param name="Results">Results of the jobs of this run (its shard, or all).</param>
/// <param name="Ran">Jobs trained and evaluated now.</param>
/// <param name="Cached">Jobs whose cell file already existed.</param>
/// <param name="WallSeconds">Wall time.</param>
public sealed record StudyRunOutcome(string Dir, StudyResults Results, int Ran, int Cached, double WallSeconds);

/// <summary>
/// Runs a study (or one shard of it) into a folder: spec.json, cells/&lt;hash&gt;.json per finished job (resumable,
/// mergeable), study.json (plan, shard, timing) and the results files of <see cref="StudyResultsWriter"/>.
/// </summary>
public static class StudyRunner
{
    /// <summary>Runs the jobs of <paramref name="shard"/> (all when null) that have no cell file yet, then writes the results of the shard's jobs.</summary>
    public static StudyRunOutcome Run(StudySpec spec, string dir, ShardSpec? shard = null, IExperimentProgress? progress = null, CancellationToken cancel = default)
    {
        progress ??= new SilentProgress();
        var clock = Stopwatch.StartNew();
        var all = StudyPlan.Expand(spec);
        var mine = shard is { } s ? StudyPlan.Shard(all, s.Index, s.Count) : all;
        foreach (var j in mine) CheckSupported(j);
        all[0].Options.Validate();
        Directory.CreateDirectory(dir);
        AtomicFile.WriteAllText(Path.Combine(dir, "spec.json"), spec.ToJson());
        var todo = mine.Where(j => !File.Exists(CellFile.PathOf(dir, j.Hash))).ToArray();
        if (todo.Length < mine.Count) progress.OnMessage($"{mine.Count - todo.Length} of {mine.Count} cell(s) already in {dir}: reusing them");
        if (todo.Length > 0)
        {
            using var data = new StudyData(spec, all[0].Options, progress, cancel);
            var runClock = Stopwatch.StartNew();
            for (int i = 0; i < todo.Length; i++)
            {
                cancel.ThrowIfCancellationRequested();
                var eta = i == 0 ? "" : $", ETA {TimeSpan.FromSeconds(runClock.Elapsed.TotalSeconds / i * (todo.Length - i)):hh\\:mm\\:ss}";
                var job = todo[i];
                progress.OnMessage($"cell {i + 1}/{todo.Length}{eta}: {job.Prompt} on {job.SourceName} (seed {job.Options.Seed}, shots {job.Options.Shots}, {job.LabelMap} labels, train {job.TrainCondition})");
                RunJob(job, data, dir, progress, cancel).Save(dir);
            }
        }
        var outcomes = mine.SelectMany(j => (CellFile.TryLoad(dir, j.Hash) ?? throw new InvalidDataException($"{CellFile.PathOf(dir, j.Hash)}: missing")).ToOutcomes(CellFile.PathOf(dir, j.Hash))).ToArray();
        var results = StudyResults.Build(spec.Name, outcomes, spec.Resamples);
        WriteStudyJson(dir, spec, all, shard, todo.Length, clock.Elapsed.TotalSeconds);
        StudyResultsWriter.Write(dir, results);
        return new StudyRunOutcome(dir, results, todo.Length, mine.Count - todo.Length, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Combinations the trainer does not support fail with a clear message before any work starts.</summary>
    private static void CheckSupported(StudyJob job)
    {
        if (job.Options.LabelMap.Kind == LabelMapKind.Iterative && job.Sources.Count > 1)
            throw new NotSupportedException($"label_map \"iterative\" (ILM) with an ensemble ({job.SourceName}): ILM remaps one source per epoch; use frequency for ensembles");
    }

    private static CellFile RunJob(StudyJob job, StudyData data, string dir, IExperimentProgress progress, CancellationToken cancel)
    {
        var o = job.Options;
        var models = job.Models.Select(m => (Model: data.Model(m.Model), m.Role)).ToArray();
        foreach (var (m, _) in models) data.MapLabels(m, o.LabelMap, cancel);
        var sources = job.Sources.Select(data.Model).ToArray();          // one, or several for an ensemble
        var source = sources[0];
        var trainBatches = data.TrainBatches(job.TrainCondition);
        var split = ExperimentData.Split(trainBatches.Data, trainBatches.Data, o with { TestLimit = 0 });
        using var prompt = new VisualPrompt(o.PromptShape, o.CanvasSize, o.PromptSize, source.Device);
        bool iterative = o.LabelMap.Kind == LabelMapKind.Iterative;
        var ilm = iterative && source is ILabelledClassifier sc
            ? new IterativeLabelMapping(sc, data.Classes, trainBatches, split.TrainIndices, o.EvalBatchSize, progress.OnMessage) : null;
        var trainer = new PromptTrainer(sources, o.Trainer, o.Tse > 0 ? data.Semantics : null, progress, ilm);
        progress.Begin($"train {job.Prompt} on {job.SourceName}", (int)((split.TrainIndices.Length + o.BatchSize - 1) / o.BatchSize * o.Epochs));
        var training = trainer.Train(prompt, trainBatches, split.TrainIndices, split.ValidationIndices, cancel: cancel);
        progress.End();
        ilm?.RestoreUnprompted();
        // ILM: the source keeps its last training mapping, the other classifiers get the FLM of the training images
        // carrying the prompt ("none" keeps the unprompted FLM).
        var previous = iterative && models.Any(m => m.Model is ILabelledClassifier)
            ? IterativeLabelMapping.MapForPrompt(models.Select(m => m.Model), data.Classes, trainBatches, split.TrainIndices, o.EvalBatchSize, prompt, cancel, ilm)
            : null;
        var outcomes = new List<CellFileOutcome>();
        foreach (var c in job.Conditions)
        {
            var p = progress.Begin($"evaluate {models.Length} model(s) on {data.TestIndices.Length} test images ({c})", data.TestIndices.Length);
            if (previous is not null) previous.UsePrompted();
            var scored = CandidateScorer.Evaluate(models.Select(m => m.Model).ToArray(), new[] { new CandidateScorer.NamedPrompt(job.Prompt, prompt) },
                data.TestBatches(c), data.TestIndices, o.EvalBatchSize, p, cancel);
            progress.End();
            if (previous is not null) previous.UseUnprompted();
            for (int i = 0; i < models.Length; i++)
            {
                var none = data.NoPrompt(models[i].Model, o.LabelMap, c, o.EvalBatchSize, cancel);
                outcomes.Add(new CellFileOutcome(models[i].Model.Info.Name, models[i].Role, c.Corruption, c.Severity, CellFile.Bits(scored[i].Correct!), CellFile.Bits(none)));
            }
        }
        // The resolved options go into the cell file verbatim (an opaque blob, see CellFile.Options): a DOM copy, not a typed read.
        using var optionsDoc = JsonDocument.Parse(o.ToJson());
        return new CellFile(job.Index, job.Hash, job.SourceName, job.Prompt, o.Fca, o.Tse, OptionNames.Name(o.FcaFeatures), o.Shots, job.LabelMap, o.Seed,
            training.BestValidationTop1, training.WallTime.TotalSeconds, optionsDoc.RootElement.Clone(), outcomes);
    }

    private static void WriteStudyJson(string dir, StudySpec spec, IReadOnlyList<StudyJob> all, ShardSpec? shard, int ran, double seconds) =>
        AtomicFile.WriteAllText(Path.Combine(dir, "study.json"), JsonSerializer.Serialize(new
        {
            study = spec.Name,
            shard = shard?.ToString(),
            jobs = all.Count,
            shard_jobs = shard is { } s ? StudyPlan.Shard(all, s.Index, s.Count).Select(j => j.Hash) : all.Select(j => j.Hash),
            ran,
            wall_s = seconds,
            finished = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture),
        }, new JsonSerializerOptions { WriteIndented = true }));

    /// <summary>
    /// Merges study folders (shards of one spec): every job's cell file is taken from whichever folder has it; all
    /// jobs of the plan must be present. Results are built in plan order, so they equal the unsharded study's.
    /// </summary>
    public static StudyResults Merge(IReadOnlyList<string> dirs, string outDir)
    {
        if (dirs.Count == 0) throw new ArgumentException("tvp merge: name at least one study folder");
        StudySpec? spec = null;
        string? specJson = null;
        foreach (var d in dirs)
        {
            var path = Path.Combine(d, "spec.json");
            if (!File.Exists(path)) throw new FileNotFoundException($"{d}: not a study folder (no spec.json)");
            var json = File.ReadAllText(path);
            var s = StudySpec.Parse(json, path);
            if (spec is null) { spec = s; specJson = s.ToJson(); }
            else if (s.ToJson() != specJson) throw new InvalidDataException($"{d}: spec.json differs from {dirs[0]}'s: only shards of the same spec can be merged");
        }
        var jobs = StudyPlan.Expand(spec!);
        var outcomes = new List<CellOutcome>();
        var missing = new List<int>();
        Directory.CreateDirectory(outDir);
        foreach (var j in jobs)
        {
            var found = dirs.Select(d => (Dir: d, Cell: CellFile.TryLoad(d, j.Hash))).FirstOrDefault(x => x.Cell is not null);
            if (found.Cell is null) { missing.Add(j.Index); continue; }
            outcomes.AddRange(found.Cell.ToOutcomes(CellFile.PathOf(found.Dir, j.Hash)));
            if (Path.GetFullPath(found.Dir) != Path.GetFullPath(outDir)) found.Cell.Save(outDir);
        }
        if (missing.Count > 0)
            throw new InvalidDataException($"tvp merge: {missing.Count} of {jobs.Count} cells of study {spec!.Name} are in none of the folders (first: #{missing[0]}); run the missing shards first");
        AtomicFile.WriteAllText(Path.Combine(outDir, "spec.json"), specJson!);
        var results = StudyResults.Build(spec!.Name, outcomes, spec.Resamples);
        StudyResultsWriter.Write(outDir, results);
        return results;
    }
}
