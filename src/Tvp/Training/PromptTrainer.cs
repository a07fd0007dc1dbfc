using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Tvp.Evaluation;
using Tvp.IO;
using Tvp.Models;
using Tvp.Prompts;
using Tvp.Data;
using static TorchSharp.torch;

namespace Tvp.Training;

/// <summary>
/// Learns a visual prompt on one source model — or on several at once (an ensemble: their task and FCA losses are
/// summed into one objective and one step): L = Σ_s (L_task,s + λ_fca·FCA_s) − λ_tse·S, updated by the chosen rule
/// with a per-iteration schedule. Validates on a held-out split every N steps and keeps the best prompt
/// (never selected on test). Checkpoints atomically every N steps; <see cref="Train"/> resumes from one.
/// </summary>
public sealed class PromptTrainer
{
    private readonly IPromptableModel _source;
    private readonly IReadOnlyList<IPromptableModel> _sources;
    private readonly TrainerOptions _o;
    private readonly TaskSemantics? _tse;
    private readonly ITrainingObserver _observer;
    private readonly IEpochStartHook? _epochStart;

    /// <summary>
    /// Creates a trainer. <paramref name="tse"/> is used when λ_tse &gt; 0; <paramref name="epochStart"/> (optional) runs at
    /// every epoch start (iterative label mapping).
    /// </summary>
    public PromptTrainer(IPromptableModel source, TrainerOptions options, TaskSemantics? tse = null, ITrainingObserver? observer = null,
        IEpochStartHook? epochStart = null) : this(new[] { source }, options, tse, observer, epochStart) { }

    /// <summary>
    /// Creates a trainer for an ensemble of sources (all on one device): one prompt, their losses summed, one update per
    /// batch; validation selects on their mean top-1.
    /// </summary>
    public PromptTrainer(IReadOnlyList<IPromptableModel> sources, TrainerOptions options, TaskSemantics? tse = null, ITrainingObserver? observer = null,
        IEpochStartHook? epochStart = null)
    {
        if (sources.Count == 0) throw new ArgumentException("at least one source model is needed");
        if (sources.Any(s => s.Device != sources[0].Device)) throw new ArgumentException("ensemble sources must be on one device");
        _sources = sources.ToArray();
        var source = _sources[0];
        _source = source;
        _epochStart = epochStart;
        _o = options;
        _tse = tse;
        _observer = observer ?? new SilentObserver();
        if (options.Tse > 0 && tse is null)
            _observer.OnMessage("λ_tse > 0 but no guide was given: TSE is off (pass --guide)");
        foreach (var s in _sources.Where(s => options.Fca > 0 && options.FcaFeatures == FcaSite.Encoder && s is not IEncoderFeatures))
            _observer.OnMessage($"warning: {s.Info.Name} has no encoder features; FCA uses its connector output instead (--fca-features connector)");
    }

    /// <summary>
    /// Trains <paramref name="prompt"/> in place. <paramref name="checkpointPath"/> (optional) is written every
    /// CheckpointEvery steps; when it exists and <paramref name="resume"/> is true, training continues from it.
    /// <paramref name="metricsPath"/> (optional) receives one JSON line per logged step. At the end the prompt
    /// holds the best-on-validation values.
    /// </summary>
    public TrainingResult Train(VisualPrompt prompt, CanvasBatches batches, IReadOnlyList<int> trainIdx, IReadOnlyList<int> valIdx,
        string? checkpointPath = null, string? metricsPath = null, bool resume = false, CancellationToken cancel = default)
    {
        if (trainIdx.Count == 0) throw new ArgumentException("no training images");
        var device = _source.Device;
        if (prompt.Delta.device != device) prompt.To(device);
        using var rule = PromptUpdateRules.Create(_o.Optimizer);
        int bs = _o.BatchSize;
        long stepsPerEpoch = (trainIdx.Count + bs - 1) / bs;
        long total = stepsPerEpoch * _o.Epochs;
        // Clean features are stored only when views repeat: with the paper's crop+flip an image has hundreds of views.
        using var cleanCache = new CleanFeatureCache(_o.Fca > 0 && batches.Augmentation != Augmentation.CropFlip ? _o.CleanFeatureCacheBytes : 0);
        _cleanCache = cleanCache;
        long startStep = 0, bestStep = 0;
        double? bestVal = null;
        string hookState = "";
        Tensor best = prompt.Values();
        try
        {
            if (resume && checkpointPath is not null && File.Exists(checkpointPath))
            {
                var ck = Checkpoint.Open(checkpointPath);
                var f = new SafeTensorFile(checkpointPath);
                startStep = long.Parse(f.Metadata["step"], CultureInfo.InvariantCulture);
                bestStep = long.Parse(f.Metadata["best_step"], CultureInfo.InvariantCulture);
                bestVal = f.Metadata.TryGetValue("best_val", out var bv) && bv.Length > 0 ? double.Parse(bv, CultureInfo.InvariantCulture) : null;
                if (f.Metadata.TryGetValue("total_steps", out var ts) && long.Parse(ts, CultureInfo.InvariantCulture) != total)
                    throw new InvalidDataException($"{checkpointPath}: checkpoint is for {ts} steps but these options give {total}; resume with the run's own options.json");
                using (var v = ck.ReadFloat("prompt")) prompt.SetValues(v);
                best.Dispose();
                best = ck.ReadFloat("best_prompt");
                rule.Restore(ck, "rule.", device);
                if (_epochStart is not null && f.Metadata.TryGetValue("epoch_hook", out var hs) && hs.Length > 0) _epochStart.Restore(hookState = hs);
                _observer.OnMessage($"resuming from step {startStep} of {total} ({checkpointPath})");
            }
            if (startStep > 0 && metricsPath is not null && File.Exists(metricsPath)) TrimMetrics(metricsPath, startStep);
            var clock = Stopwatch.StartNew();
            long images = 0, skipped = 0;
            using var metrics = metricsPath is null ? null : new StreamWriter(metricsPath, append: resume && startStep > 0);
            for (long step = startStep; step < total; step++)
            {
                if (cancel.IsCancellationRequested)
                {
                    // A final checkpoint of every completed step (the loop only stops between steps).
                    if (checkpointPath is not null) SaveCheckpoint(checkpointPath, prompt, best, rule, step, total, bestStep, bestVal, hookState);
                    throw new TrainingInterruptedException(step, total, checkpointPath);
                }
                int epoch = (int)(step / stepsPerEpoch);
                var order = EpochOrder(trainIdx, epoch);
                int b = (int)(step % stepsPerEpoch);
                if (b == 0 && _epochStart is not null) hookState = _epochStart.OnEpochStart(epoch, prompt, cancel);
                var idx = order.Skip(b * bs).Take(bs).ToArray();
                var rng = new Random(Seeds.Mix(_o.Seed, step, 17));
                double lr = LearningRateSchedule.At(_o.Schedule, _o.Lr, step, total);
                double loss, task, fca, tse;
                try { (loss, task, fca, tse) = StepOnce(prompt, batches, idx, rng, rule, lr, step + 1); }
                catch (NonFiniteStepException nf)
                {
                    if (_o.OnNan == NanPolicy.Stop) throw Diverged(nf, prompt, best, bestStep, checkpointPath);
                    skipped++;
                    _observer.OnMessage($"{nf.Message}; batch skipped (--on-nan skip, {skipped} so far)");
                    if (metrics is not null) { metrics.WriteLine(new MetricsLine(step + 1, Skipped: true, SkippedTotal: skipped).ToJson()); metrics.Flush(); }
                    (loss, task, fca, tse) = (0, 0, 0, 0);
                }
                images += idx.Length;
                var s = new TrainingStep(step + 1, total, epoch + 1, loss, task, fca, tse, lr, images / Math.Max(1e-9, clock.Elapsed.TotalSeconds), clock.Elapsed);
                _observer.OnStep(s);
                if (metrics is not null && ((step + 1) % _o.LogEvery == 0 || step + 1 == total))
                {
                    metrics.WriteLine(new MetricsLine(s.Step, s.Epoch, s.Loss, s.Task, s.Fca, s.Tse, s.Lr, s.ImagesPerSecond, s.Elapsed.TotalSeconds).ToJson());
                    metrics.Flush();
                }
                bool epochEnd = (step + 1) % stepsPerEpoch == 0;
                if (valIdx.Count > 0 && ((step + 1) % _o.ValidateEvery == 0 || epochEnd))
                {
                    double top1 = Validate(prompt, batches, valIdx, CancellationToken.None); // an interrupt waits for the step to finish
                    bool improved = bestVal is null || top1 > bestVal.Value;
                    if (improved) { bestVal = top1; bestStep = step + 1; best.Dispose(); best = prompt.Values(); }
                    _observer.OnValidation(step + 1, top1, improved);
                    if (metrics is not null) { metrics.WriteLine(new MetricsLine(step + 1, ValTop1: top1, Best: improved).ToJson()); metrics.Flush(); }
                }
                else if (valIdx.Count == 0) { bestStep = step + 1; best.Dispose(); best = prompt.Values(); }
                if (checkpointPath is not null && ((step + 1) % _o.CheckpointEvery == 0 || step + 1 == total))
                    SaveCheckpoint(checkpointPath, prompt, best, rule, step + 1, total, bestStep, bestVal, hookState);
            }
            prompt.SetValues(best);
            clock.Stop();
            CleanFeatureHits = cleanCache.Hits;
            CleanFeatureMisses = cleanCache.Misses;
            return new TrainingResult(total, bestVal, bestStep, clock.Elapsed, images / Math.Max(1e-9, clock.Elapsed.TotalSeconds));
        }
        finally
        {
            best.Dispose();
            _cleanCache = null;
        }
    }

    /// <summary>Rows whose clean FCA features came from the cache in the last <see cref="Train"/> (0 without FCA).</summary>
    public long CleanFeatureHits { get; private set; }

    /// <summary>Rows whose clean FCA features were computed in the last <see cref="Train"/>.</summary>
    public long CleanFeatureMisses { get; private set; }

    private CleanFeatureCache? _cleanCache;

    private (double Loss, double Task, double Fca, double Tse) StepOnce(VisualPrompt prompt, CanvasBatches batches, int[] idx, Random rng, IPromptUpdateRule rule, double lr, long stepNumber)
    {
        using var scope = NewDisposeScope();
        using var batch = batches.Make(idx, training: true, rng);
        var canvas = batch.Canvas.to(_source.Device);
        var prompted = prompt.Apply(canvas, training: true, rng);
        Tensor loss = null!, task = null!;
        double fcaValue = 0, tseValue = 0;
        for (int si = 0; si < _sources.Count; si++)
        {
            var (t, f) = SourceLoss(si, canvas, prompted, batch);
            task = task is null ? t : task + t;
            var term = f is null ? t : t + f * _o.Fca;
            loss = loss is null ? term : loss + term;
            if (f is not null) fcaValue += f.item<float>();
        }
        if (_o.Tse > 0 && _tse is not null)
        {
            var labels = Enumerable.Range(0, batch.Task.Count)
                .Select(i => batch.Task.Targets[i] >= 0 ? batch.Task.Candidates[i][batch.Task.Targets[i]] : "").ToArray();
            var s = _tse.Similarity(prompted, labels);
            loss = loss - s.to(loss.device) * _o.Tse;
            tseValue = s.item<float>();
        }
        double lossValue = loss.item<float>(), taskValue = task.item<float>();
        if (!NumericGuard.AllFinite(lossValue, taskValue, fcaValue, tseValue))
            throw new NonFiniteStepException(stepNumber, "non-finite loss", lossValue, taskValue, fcaValue, tseValue);
        if (prompt.Delta.grad is { } old) old.zero_();
        loss.backward();
        var grad = prompt.Delta.grad ?? throw new InvalidOperationException($"{string.Join(" + ", _sources.Select(x => x.Info.Name))}: no gradient reached the prompt");
        if (!NumericGuard.AllFinite(grad))
        {
            grad.zero_();
            throw new NonFiniteStepException(stepNumber, "non-finite gradient", lossValue, taskValue, fcaValue, tseValue);
        }
        using var before = prompt.Delta.detach().clone();
        rule.Step(prompt.Delta, grad, prompt.Mask, lr);
        grad.zero_();
        bool finite = NumericGuard.AllFinite(prompt.Delta);
        // A finite prompt beyond the bound every prompt file is checked against (1e30 steps) is as lost as a NaN one.
        if (!finite || prompt.Delta.abs().max().item<float>() > Prompts.PromptFile.MaxAbsValue)
        {
            using (no_grad()) prompt.Delta.copy_(before); // the step never leaves a non-finite or implausible prompt behind
            throw new NonFiniteStepException(stepNumber, finite ? $"prompt value beyond ±{Prompts.PromptFile.MaxAbsValue:G} after the update" : "non-finite prompt value after the update",
                lossValue, taskValue, fcaValue, tseValue);
        }
        return (lossValue, taskValue, fcaValue, tseValue);
    }

    /// <summary>--on-nan stop: the prompt takes the best values and the error says what was kept.</summary>
    private static TrainingDivergedException Diverged(NonFiniteStepException nf, VisualPrompt prompt, Tensor best, long bestStep, string? checkpointPath)
    {
        prompt.SetValues(best);
        long? kept = checkpointPath is not null && File.Exists(checkpointPath)
            && new SafeTensorFile(checkpointPath).Metadata.TryGetValue("step", out var st) ? long.Parse(st, CultureInfo.InvariantCulture) : null;
        return new TrainingDivergedException($"training diverged at {nf.Message}; stopped (--on-nan stop)" +
            (kept is long k ? $"; the last finite checkpoint (step {k}) is kept" : "; no checkpoint had been written yet") +
            $"; the best prompt (step {bestStep}) is kept. Lower --lr, or pass --on-nan skip to skip such batches", nf);
    }

    /// <summary>
    /// One source's task loss and (when λ_fca &gt; 0) FCA loss. The task loss and the prompted features (connector or
    /// encoder) come from ONE forward pass where the family supports it; the clean features are computed without gradients.
    /// </summary>
    private (Tensor Task, Tensor? Fca) SourceLoss(int sourceIndex, Tensor canvas, Tensor prompted, CanvasBatch batch)
    {
        var source = _sources[sourceIndex];
        if (_o.Fca <= 0) return (source.TaskLoss(prompted, batch.Task), null);
        var (task, features) = _o.FcaFeatures == FcaSite.Encoder && source is IEncoderFeatures enc
            ? enc.TaskLossWithEncoderFeatures(prompted, batch.Task) : source.TaskLossWithFeatures(prompted, batch.Task);
        // Clean features: no gradient, computed once per image view (CleanFeatureCache) — they never depend on the prompt.
        var clean = _cleanCache!.Get(sourceIndex, canvas, batch.Indices, batch.Views, c => Features(source, c));
        return (task, FeatureConsistency.Loss(features, clean));
    }

    private Tensor Features(IPromptableModel source, Tensor pixels) =>
        _o.FcaFeatures == FcaSite.Encoder && source is IEncoderFeatures enc ? enc.EncoderFeatures(pixels) : source.ImageFeatures(pixels);

    private double Validate(VisualPrompt prompt, CanvasBatches batches, IReadOnlyList<int> valIdx, CancellationToken cancel)
    {
        var r = CandidateScorer.Evaluate(_sources, new[] { new CandidateScorer.NamedPrompt("current", prompt) },
            batches, valIdx, _o.EvalBatchSize, cancel: cancel);
        return r.Average(x => x.Top1);
    }

    /// <summary>The training order of epoch <paramref name="epoch"/>: a seeded permutation (same seed → same order).</summary>
    internal int[] EpochOrder(IReadOnlyList<int> trainIdx, int epoch)
    {
        var order = trainIdx.ToArray();
        new Random(Seeds.Mix(_o.Seed, epoch, 7919)).Shuffle(order);
        return order;
    }

    /// <summary>After a resume, drops metric lines logged after the checkpoint (they will be logged again).</summary>
    private static void TrimMetrics(string path, long upToStep)
    {
        var keep = File.ReadLines(path).Where(line =>
        {
            try
            {
                return MetricsLine.Parse(line).Step is long st && st <= upToStep;
            }
            catch (JsonException) { return false; } // a line cut short by the kill
        }).ToArray();
        IO.AtomicFile.WriteAllText(path, keep.Length == 0 ? "" : string.Join("\n", keep) + "\n");
    }

    private static void SaveCheckpoint(string path, VisualPrompt prompt, Tensor best, IPromptUpdateRule rule, long step, long total, long bestStep, double? bestVal, string hookState)
    {
        using var values = prompt.Values();
        var tensors = new Dictionary<string, Tensor> { ["prompt"] = values, ["best_prompt"] = best };
        foreach (var (k, v) in rule.State()) tensors["rule." + k] = v;
        foreach (var (k, v) in tensors) NumericGuard.RequireFinite(v, $"{path}: checkpoint tensor '{k}' at step {step}"); // never store NaN/Inf
        SafeTensorFile.Write(path, tensors, new Dictionary<string, string>
        {
            ["step"] = step.ToString(CultureInfo.InvariantCulture),
            ["total_steps"] = total.ToString(CultureInfo.InvariantCulture),
            ["best_step"] = bestStep.ToString(CultureInfo.InvariantCulture),
            ["best_val"] = bestVal?.ToString("R", CultureInfo.InvariantCulture) ?? "",
            ["rule"] = rule.Name,
            ["epoch_hook"] = hookState,
        });
    }
}
