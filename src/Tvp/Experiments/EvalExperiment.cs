using System.Diagnostics;
using Tvp.Evaluation;
using Tvp.Models;
using Tvp.Prompts;
using Tvp.Training;

namespace Tvp.Experiments;

/// <summary>
/// Evaluates existing prompt files on models (no training): every model with no prompt and with each prompt;
/// rows of the transfer matrix are the prompts.
/// </summary>
public static class EvalExperiment
{
    /// <summary>Runs the evaluation into <paramref name="runDir"/>; <c>options.Targets</c> are the models.</summary>
    /// <param name="options">Data, models (Targets), label mapping, limits, device.</param>
    /// <param name="promptFiles">Prompt files; each becomes a row.</param>
    /// <param name="runDir">Run folder to write.</param>
    /// <param name="overwrite">Replace a completed run.</param>
    /// <param name="canvasSize">Canvas size of the evaluation; prompts made for another size are resized (with a warning). Default: the first prompt's.</param>
    /// <param name="progress">Progress sink.</param>
    /// <param name="cancel">Cancellation.</param>
    /// <param name="shard">Evaluate only this contiguous slice of the test images (tvp merge combines the shards' folders exactly).</param>
    public static TransferOutcome Run(TvpOptions options, IReadOnlyList<string> promptFiles, string runDir, bool overwrite = false,
        int? canvasSize = null, IExperimentProgress? progress = null, CancellationToken cancel = default, Study.ShardSpec? shard = null)
    {
        progress ??= new SilentProgress();
        if (options.Targets.Count == 0) throw new ArgumentException("--models: name at least one model to evaluate");
        var clock = Stopwatch.StartNew();
        var device = TorchDevice.Parse(options.Device);
        // The first prompt fixes the canvas; others are resized to it (with a warning).
        var loaded = new List<(VisualPrompt Prompt, PromptMetadata Meta, string File)>();
        try
        {
            foreach (var f in promptFiles)
            {
                var (p, meta) = PromptFile.Load(f, device, loaded.Count == 0 ? canvasSize : loaded[0].Meta.CanvasSize, progress.OnMessage);
                loaded.Add((p, meta, f));
            }
            var o = loaded.Count > 0
                ? options with { CanvasSize = loaded[0].Meta.CanvasSize, ImageSize = loaded[0].Meta.ImageSize, PromptSize = loaded[0].Meta.PromptSize, PromptShape = loaded[0].Meta.Shape }
                : options;
            o.Validate();
            bool existed = Directory.Exists(runDir);
            var (run, _) = RunFolder.Open(runDir, o, resume: false, overwrite, progress.OnMessage);
            using var runLock = run; // the run folder's writer lock, held until the evaluation ends
            try
            {
                var data = ExperimentData.Load(o);
                if (shard is { } sh)
                {
                    data = data with { TestIndices = Study.EvalShard.Slice(data.TestIndices, sh) };
                    Study.EvalShard.Write(run.Path, sh, data.TestIndices.Length);
                }
                using var batches = new ExperimentBatches(data, o);
                var (trainBatches, testBatches) = (batches.Train, batches.Test);
                var models = TransferExperiment.LoadModels(o with { Source = o.Targets[0], Targets = o.Targets.Skip(1).ToArray() }, device, progress);
                try
                {
                    foreach (var m in models) TransferExperiment.MapLabels(m, o, data, trainBatches, progress, cancel);
                    var names = new HashSet<string>();
                    var prompts = loaded.Select(l =>
                    {
                        var name = l.Meta.SourceModel.Length > 0 ? Path.GetFileNameWithoutExtension(l.Meta.SourceModel) : Path.GetFileNameWithoutExtension(l.File);
                        while (!names.Add(name)) name += "'";
                        return new CandidateScorer.NamedPrompt(name, l.Prompt);
                    }).ToArray();
                    var outcome = TransferExperiment.Evaluate(o, models, prompts, data, testBatches, run, null, clock, progress, cancel);
                    ResultsWriter.Write(run, outcome);
                    Report.RunReport.Write(run.Path);
                    return outcome;
                }
                finally
                {
                    foreach (var m in models) m.Dispose();
                }
            }
            catch when (!existed)
            {
                try { Directory.Delete(run.Path, recursive: true); } catch (IOException) { }
                throw;
            }
        }
        finally
        {
            foreach (var l in loaded) l.Prompt.Dispose();
        }
    }
}
