using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Tvp.Data;
using Tvp.Evaluation;
using Tvp.IO;
using Tvp.Models;
using Tvp.Models.Guides;
using Tvp.Prompts;
using Tvp.Training;

namespace Tvp.Experiments.Demo;

/// <summary>
/// <c>tvp demo</c>: TVP end to end from registry data only. Builds (or loads) the shared-encoder zoo and the
/// offline guide, then on corrupted Fashion-MNIST trains prompts on one zoo model — plain VP (λ_fca = λ_tse = 0)
/// and TVP (FCA + TSE with the offline guide; FCA on the connector and on the shared encoder's output) — and
/// scores every zoo model with no prompt and with each prompt in one pass over the test images.
/// Run folder: options.json, metrics-&lt;prompt&gt;.jsonl, prompt-&lt;prompt&gt;.safetensors (+ .png),
/// results.json / results.csv / results.md.
/// </summary>
public static class DemoExperiment
{
    /// <summary>Runs the demo into <paramref name="runDir"/> (created; must not hold a completed run).</summary>
    public static DemoOutcome Run(DemoOptions options, string runDir, IExperimentProgress? progress = null, CancellationToken cancel = default)
    {
        progress ??= new SilentProgress();
        options.Validate();
        var clock = Stopwatch.StartNew();
        var timings = new List<(string, double)>();
        var phase = Stopwatch.StartNew();
        void Lap(string name) { timings.Add((name, phase.Elapsed.TotalSeconds)); phase.Restart(); }

        if (!Directory.Exists(options.Data))
            throw new DirectoryNotFoundException($"--data {options.Data}: Fashion-MNIST not found; install Debian's dataset-fashion-mnist (./setup.sh does) or pass --data with the four IDX files");
        var run = Path.GetFullPath(runDir);
        if (File.Exists(Path.Combine(run, "results.json"))) throw new IOException($"{run} holds a completed run (results.json); choose another --out");
        Directory.CreateDirectory(run);
        AtomicFile.WriteAllText(Path.Combine(run, "options.json"), options.ToJson());
        var device = TorchDevice.Parse(options.Device);

        var train = IdxDataset.FashionMnist(options.Data, train: true);
        var test = IdxDataset.FashionMnist(options.Data, train: false);
        var zooIdx = Samplers.Limit(train, options.ZooTrainImages, options.Seed);
        var inZoo = new HashSet<int>(zooIdx);
        var rest = Enumerable.Range(0, train.Count).Where(i => !inZoo.Contains(i)).ToArray();
        var promptPool = Samplers.Limit(new DatasetView(train, rest), options.PromptTrainImages, Seeds.Mix(options.Seed, 3)).Select(i => rest[i]).ToArray();

        using var zoo = DemoZoo.Prepare(options.Zoo, train, zooIdx, device, options.Fresh, progress, cancel);
        Lap(zoo.Trained.Count > 0 ? $"zoo: trained {string.Join(", ", zoo.Trained)}" : "zoo: loaded from cache");
        foreach (var m in zoo.Models.OfType<ILabelledClassifier>()) m.Mapping = LabelMapping.Identity(train.Classes, m.Labels.Count);
        var source = zoo.Models.FirstOrDefault(m => m.Info.Name == options.Source)
            ?? throw new ArgumentException($"--source {options.Source}: not a zoo model ({string.Join(", ", zoo.Models.Select(m => m.Info.Name))})");

        // The downstream task: the corruption applied to the prompt's training images and to the test images.
        var taskName = $"fashion-mnist-{options.Corruption}-{options.Severity}";
        var corruptTrain = new ClassificationTask(new CorruptedDataset(train, options.Corruption, options.Severity, options.Seed), taskName);
        var corruptTest = new ClassificationTask(new CorruptedDataset(test, options.Corruption, options.Severity, Seeds.Mix(options.Seed, 5)), taskName);
        var (tr, va) = Samplers.TrainValidationSplit(new DatasetView(train, promptPool), 0.05, Seeds.Mix(options.Seed, 1));
        var trainIdx = tr.Select(i => promptPool[i]).ToArray();
        var valIdx = va.Select(i => promptPool[i]).ToArray();
        var testIdx = Samplers.Limit(test, options.TestImages, Seeds.Mix(options.Seed, 2)).OrderBy(i => i).ToArray();
        var pipeline = new CanvasPipeline(options.CanvasSize, options.ImageSize);
        using var trainCache = new ImageCache(corruptTrain);
        using var testCache = new ImageCache(corruptTest);
        var trainBatches = new CanvasBatches(corruptTrain, pipeline, trainCache);
        var testBatches = new CanvasBatches(corruptTest, pipeline, testCache);

        var baseOptions = new TvpOptions
        {
            Data = options.Data, Source = source.Info.Name, Targets = zoo.Models.Skip(1).Select(m => m.Info.Name).ToArray(),
            Lr = options.Lr, Epochs = options.Epochs, BatchSize = options.BatchSize, EvalBatchSize = 100,
            CanvasSize = options.CanvasSize, ImageSize = options.ImageSize, PromptSize = options.PromptSize,
            ValidateEvery = int.MaxValue, CheckpointEvery = int.MaxValue, LogEvery = 5, Seed = options.Seed, Device = options.Device,
            Corruption = options.Corruption, Severity = options.Severity, Guide = "offline",
        };
        var variants = new List<(string Name, TvpOptions Options)> { ("vp", baseOptions with { Fca = 0, Tse = 0 }) };
        if (options.FcaFeatures is "both" or "connector") variants.Add(("tvp-connector", baseOptions with { Fca = options.Fca, Tse = options.Tse, FcaFeatures = "connector" }));
        if (options.FcaFeatures is "both" or "encoder") variants.Add(("tvp-encoder", baseOptions with { Fca = options.Fca, Tse = options.Tse, FcaFeatures = "encoder" }));

        using var tse = new TaskSemantics(zoo.Guide);
        var prompts = new List<CandidateScorer.NamedPrompt>();
        var trainingResults = new Dictionary<string, TrainingResult>();
        try
        {
            foreach (var (name, o) in variants)
            {
                var prompt = new VisualPrompt(PromptShape.Padding, o.CanvasSize, o.PromptSize, device);
                prompts.Add(new CandidateScorer.NamedPrompt(name, prompt));
                var trainer = new PromptTrainer(source, o, o.Tse > 0 ? tse : null, progress);
                progress.Begin($"train {name} prompt on {source.Info.Name} (λ_fca {o.Fca}, λ_tse {o.Tse}{(o.Fca > 0 ? ", FCA on " + o.FcaFeatures : "")})",
                    (trainIdx.Length + o.BatchSize - 1) / o.BatchSize * o.Epochs);
                trainingResults[name] = trainer.Train(prompt, trainBatches, trainIdx, valIdx, metricsPath: Path.Combine(run, $"metrics-{name}.jsonl"), cancel: cancel);
                progress.End();
                PromptFile.Save(Path.Combine(run, $"prompt-{name}.safetensors"), prompt,
                    new PromptMetadata(prompt.Shape, o.CanvasSize, o.ImageSize, o.PromptSize, source.Info.Name, taskName, o.Fca, o.Tse));
                Lap($"train {name}");
            }

            using var zeroShot = new OfflineZeroShotModel(zoo.Guide, train.Classes);
            var scored = zoo.Models.Append(zeroShot).ToArray();
            var all = new[] { new CandidateScorer.NamedPrompt("none", null) }.Concat(prompts).ToArray();
            var ep = progress.Begin($"evaluate {scored.Length} models × {all.Length} prompts on {testIdx.Length} corrupted test images", testIdx.Length);
            var results = CandidateScorer.Evaluate(scored, all, testBatches, testIdx, baseOptions.EvalBatchSize, ep, cancel);
            progress.End();
            Lap("evaluate (corrupted test)");
            var cleanBatches = new CanvasBatches(new ClassificationTask(test, "fashion-mnist"), pipeline);
            var cp = progress.Begin($"evaluate {scored.Length} models on the same {testIdx.Length} clean test images (no prompt)", testIdx.Length);
            var clean = CandidateScorer.Evaluate(scored, new[] { all[0] }, cleanBatches, testIdx, baseOptions.EvalBatchSize, cp, cancel);
            progress.End();
            Lap("evaluate (clean test)");

            var roles = scored.ToDictionary(m => m.Info.Name, m => ReferenceEquals(m, source) ? "source" : ReferenceEquals(m, zeroShot) ? "guide" : "target");
            var matrix = new TransferMatrix(results, roles);
            var outcome = new DemoOutcome(run, matrix, clean, source.Info.Name, zoo.HoldoutTop1, zoo.GuideHoldoutZeroShot, zoo.Trained, timings, clock.Elapsed.TotalSeconds);
            Write(run, options, outcome, trainingResults);
            Report.RunReport.Write(run);
            return outcome with { WallSeconds = clock.Elapsed.TotalSeconds };
        }
        finally
        {
            foreach (var p in prompts) p.Prompt?.Dispose();
        }
    }

    /// <summary>Mean top-1 gain of <paramref name="prompt"/> over no prompt across the models of a role.</summary>
    public static double MeanGain(TransferMatrix m, string prompt, Func<string, bool> model) =>
        m.Models.Where(model).Select(x => m.Gain(prompt, x) ?? 0).DefaultIfEmpty(0).Average();

    private static void Write(string run, DemoOptions o, DemoOutcome r, IReadOnlyDictionary<string, TrainingResult> training)
    {
        static string P(double v) => (100 * v).ToString("F2", CultureInfo.InvariantCulture);
        var prompts = r.Matrix.Prompts.Where(p => p != "none").ToArray();
        bool IsSharedTarget(string m) => r.Matrix.Roles.GetValueOrDefault(m) == "target" && m != "zoo-cnn";
        var extra = new List<object>
        {
            new
            {
                title = "Mean top-1 gain over no prompt (points)",
                columns = new[] { "prompt", "source", "shared-encoder targets", "zoo-cnn (shares nothing)", "guide (zero-shot)" },
                rows = prompts.Select(p => new object[]
                {
                    p, P(r.Matrix.Gain(p, r.Source) ?? 0), P(MeanGain(r.Matrix, p, IsSharedTarget)),
                    P(r.Matrix.Gain(p, "zoo-cnn") ?? 0), P(r.Matrix.Gain(p, "guide-zero-shot") ?? 0),
                }).ToArray(),
            },
            new
            {
                title = "Clean accuracy (no prompt, no corruption)",
                columns = new[] { "model", "held-out top-1 at training (%)", "clean test top-1 (%)", "corrupted test top-1 (%)" },
                rows = r.Clean.Select(c => new object[]
                {
                    c.Model, r.ZooHoldoutTop1.TryGetValue(c.Model, out var h) ? P(h) : c.Model == "guide-zero-shot" ? P(r.GuideHoldoutZeroShot) : "",
                    P(c.Top1), P(r.Matrix.Cell("none", c.Model)?.Top1 ?? 0),
                }).ToArray(),
            },
            new
            {
                title = "Timings (s)",
                columns = new[] { "phase", "seconds" },
                rows = r.Timings.Select(t => new object[] { t.Phase, t.Seconds.ToString("F1", CultureInfo.InvariantCulture) })
                    .Append(new object[] { "total", r.WallSeconds.ToString("F1", CultureInfo.InvariantCulture) }).ToArray(),
            },
        };
        var json = new
        {
            run_dir = run,
            kind = "demo",
            source = r.Source,
            task = $"Fashion-MNIST, {o.Corruption} severity {o.Severity} (prompt training and test images); canvas {o.CanvasSize}, image {o.ImageSize}, padding prompt {o.PromptSize}, encoder {o.Resolution} px",
            matrix = r.Matrix.ToJsonObject(),
            clean = r.Clean.Select(c => new { model = c.Model, top1 = c.Top1, n = c.Count }),
            guide = new
            {
                name = "offline (ResNet-18 × MiniLM, LiT-style linear projections)",
                holdout_zero_shot_top1_clean = r.GuideHoldoutZeroShot,
                test_zero_shot_top1_clean = r.Clean.FirstOrDefault(c => c.Model == "guide-zero-shot")?.Top1,
                test_zero_shot_top1_corrupted = r.Matrix.Cell("none", "guide-zero-shot")?.Top1,
            },
            zoo_holdout_top1 = r.ZooHoldoutTop1,
            trained_this_run = r.Trained,
            training = training.ToDictionary(kv => kv.Key, kv => new
            {
                steps = kv.Value.Steps, best_validation_top1 = kv.Value.BestValidationTop1, best_step = kv.Value.BestStep,
                wall_s = kv.Value.WallTime.TotalSeconds, images_per_s = kv.Value.ImagesPerSecond,
            }),
            timings_s = r.Timings.ToDictionary(t => t.Phase, t => t.Seconds),
            wall_s = r.WallSeconds,
            extra_tables = extra,
        };
        AtomicFile.WriteAllText(Path.Combine(run, "results.csv"), r.Matrix.ToCsv());
        var md = new StringBuilder();
        md.AppendLine($"# tvp demo {Path.GetFileName(run)}").AppendLine();
        md.AppendLine($"Source {r.Source}; Fashion-MNIST under {o.Corruption} (severity {o.Severity}). Top-1 % on the corrupted test images (gain over no prompt).").AppendLine();
        md.Append(r.Matrix.ToMarkdown()).AppendLine();
        md.AppendLine($"Offline guide zero-shot top-1: {P(r.GuideHoldoutZeroShot)}% (held-out clean training images), " +
                      $"{P(r.Clean.FirstOrDefault(c => c.Model == "guide-zero-shot")?.Top1 ?? 0)}% (clean test), {P(r.Matrix.Cell("none", "guide-zero-shot")?.Top1 ?? 0)}% (corrupted test).");
        md.AppendLine($"Wall time {r.WallSeconds:F1} s.");
        AtomicFile.WriteAllText(Path.Combine(run, "results.md"), md.ToString());
        AtomicFile.WriteAllText(Path.Combine(run, "results.json"), JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }));
    }
}
