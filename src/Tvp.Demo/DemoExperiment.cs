using System.Diagnostics;
using System.Text.Json;
using Tvp.Data;
using Tvp.Evaluation;
using Tvp.Experiments.Study;
using Tvp.IO;
using Tvp.Models;
using Tvp.Demo.Guides;
using Tvp.Prompts;
using Tvp.Training;
using Tvp.Experiments;

namespace Tvp.Demo;

/// <summary>
/// <c>tvp demo</c>: TVP end to end from registry data only. Builds (or loads) the shared-encoder zoo and the
/// offline guide, then on corrupted Fashion-MNIST trains prompts on one zoo model — plain VP (λ_fca = λ_tse = 0)
/// and TVP (FCA + TSE with the offline guide; FCA on the connector and on the shared encoder's output), each with
/// several seeds (zoo and data splits fixed) — and scores every zoo model with no prompt and with each prompt in one
/// pass over the same test images. Results are a study (<see cref="StudyResults"/>): mean ± std and 95 % t-intervals
/// over seeds, and paired bootstrap comparisons of the prompt methods, including the pooled shared-encoder targets.
/// Run folder: options.json, metrics-&lt;prompt&gt;-seed&lt;s&gt;.jsonl, prompt-&lt;prompt&gt;-seed&lt;s&gt;.safetensors (+ .png),
/// results.json / results.csv / claims.txt / report.html (the study schema) and demo.json.
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

        using var zoo = DemoZoo.Prepare(options.Zoo, train, zooIdx, device, options.Fresh, progress, cancel, options.CacheRoot);
        Lap(zoo.Trained.Count > 0 ? $"zoo: trained {string.Join(", ", zoo.Trained)}" : "zoo: loaded from cache");
        foreach (var m in zoo.Models.OfType<ILabelledClassifier>()) m.Mapping = LabelMapping.Identity(train.Classes, m.Labels.Count);
        var source = zoo.Models.FirstOrDefault(m => m.Info.Name == options.Source)
            ?? throw new ArgumentException($"--source {options.Source}: not a zoo model ({string.Join(", ", zoo.Models.Select(m => m.Info.Name))})");

        // The downstream task: the corruption applied to the prompt's training images and to the test images.
        var taskName = $"fashion-mnist-{options.Corruption}-{options.Severity}";
        var corruptTrain = new ClassificationTask(new CorruptedDataset(train, options.Corruption, options.Severity, options.Seed), taskName);
        var corruptTest = new ClassificationTask(new CorruptedDataset(test, options.Corruption, options.Severity, Seeds.Mix(options.Seed, 5)), taskName);
        // Validation: held-out corrupted training images outside the prompt's own training images (max(5 %, 200)),
        // so selection is not noise and never sees test.
        var inPrompt = new HashSet<int>(promptPool);
        var outside = rest.Where(i => !inPrompt.Contains(i)).ToArray();
        int valCount = Math.Min(outside.Length, Math.Max(options.ValidationImages, (int)Math.Round(0.05 * promptPool.Length)));
        var valIdx = Samplers.Limit(new DatasetView(train, outside), valCount, Seeds.Mix(options.Seed, 1)).Select(i => outside[i]).ToArray();
        var trainIdx = promptPool;
        var testIdx = Samplers.Limit(test, options.TestImages, Seeds.Mix(options.Seed, 2)).OrderBy(i => i).ToArray();
        var pipeline = new CanvasPipeline(options.CanvasSize, options.ImageSize);
        using var trainCache = new ImageCache(corruptTrain);
        using var testCache = new ImageCache(corruptTest);
        var trainBatches = new CanvasBatches(corruptTrain, pipeline, trainCache);
        var testBatches = new CanvasBatches(corruptTest, pipeline, testCache);
        progress.OnMessage($"prompts: {trainIdx.Length} corrupted training images, validation on {valIdx.Length} other held-out training images, " +
                           $"{testIdx.Length} test images; seeds {string.Join(", ", options.PromptSeeds)} (zoo and splits fixed by seed {options.Seed})");

        var baseOptions = options.RunOptions(source.Info.Name, zoo.Models.Skip(1).Select(m => m.Info.Name).ToArray());
        var variants = new List<(string Name, TvpOptions Options)> { ("vp", baseOptions with { Fca = 0, Tse = 0 }) };
        if (options.FcaFeatures is DemoFcaChoice.Both or DemoFcaChoice.Connector) variants.Add(("tvp-connector", baseOptions with { Fca = options.Fca, Tse = options.Tse, FcaFeatures = FcaSite.Connector }));
        if (options.FcaFeatures is DemoFcaChoice.Both or DemoFcaChoice.Encoder) variants.Add(("tvp-encoder", baseOptions with { Fca = options.Fca, Tse = options.Tse, FcaFeatures = FcaSite.Encoder }));

        using var tse = new TaskSemantics(zoo.Guide);
        var prompts = new List<(string Variant, int Seed, TvpOptions Options, CandidateScorer.NamedPrompt Named)>();
        var trainingResults = new Dictionary<string, TrainingResult>();
        try
        {
            foreach (int seed in options.PromptSeeds)
                foreach (var (name, o0) in variants)
                {
                    var o = o0 with { Seed = seed };
                    var prompt = new VisualPrompt(PromptShape.Padding, o.CanvasSize, o.PromptSize, device);
                    var tag = $"{name}-seed{seed}";
                    prompts.Add((name, seed, o, new CandidateScorer.NamedPrompt(tag, prompt)));
                    var trainer = new PromptTrainer(source, o.Trainer, o.Tse > 0 ? tse : null, progress);
                    progress.Begin($"train {name} prompt, seed {seed}, on {source.Info.Name} (λ_fca {o.Fca}, λ_tse {o.Tse}{(o.Fca > 0 ? ", FCA on " + OptionNames.Name(o.FcaFeatures) : "")})",
                        (trainIdx.Length + o.BatchSize - 1) / o.BatchSize * o.Epochs);
                    trainingResults[tag] = trainer.Train(prompt, trainBatches, trainIdx, valIdx, metricsPath: Path.Combine(run, $"metrics-{tag}.jsonl"), cancel: cancel);
                    progress.End();
                    PromptFile.Save(Path.Combine(run, $"prompt-{tag}.safetensors"), prompt,
                        new PromptMetadata(prompt.Shape, o.CanvasSize, o.ImageSize, o.PromptSize, source.Info.Name, taskName, o.Fca, o.Tse));
                    Lap($"train {tag}");
                }

            using var zeroShot = new OfflineZeroShotPromptable(zoo.Guide, train.Classes);
            var scored = zoo.Models.Append(zeroShot).ToArray();
            var all = new[] { new CandidateScorer.NamedPrompt("none", null) }.Concat(prompts.Select(p => p.Named)).ToArray();
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
            var outcomes = Outcomes(results, prompts.Select(p => (p.Variant, p.Seed, p.Options, p.Named.Name)).ToArray(), scored.Select(m => m.Info.Name).ToArray(),
                roles, source.Info.Name, options);
            var study = StudyResults.Build("demo", outcomes);
            var outcome = new DemoOutcome(run, study, clean, source.Info.Name, zoo.HoldoutTop1, zoo.GuideHoldoutZeroShot, zoo.Trained, timings, clock.Elapsed.TotalSeconds);
            Write(run, options, outcome, trainingResults);
            return outcome with { WallSeconds = clock.Elapsed.TotalSeconds };
        }
        finally
        {
            foreach (var p in prompts) p.Named.Prompt?.Dispose();
        }
    }

    /// <summary>The pseudo-model that pools the shared-encoder targets (their test images side by side).</summary>
    public const string SharedTargets = "shared-encoder targets (pooled)";

    /// <summary>The zoo model that shares nothing with the others.</summary>
    public const string Unshared = "zoo-cnn";

    /// <summary>
    /// One study outcome per (model, variant, seed), plus a pooled pseudo-model of the shared-encoder targets whose
    /// per-image outcomes are those targets' test images side by side: its gain is their mean gain, and its paired
    /// comparison is the TVP-vs-VP difference of mean shared-target gain, bootstrapped over seeds × images.
    /// </summary>
    private static List<CellOutcome> Outcomes(IReadOnlyList<EvaluationResult> results, (string Variant, int Seed, TvpOptions Options, string Tag)[] prompts,
        string[] models, IReadOnlyDictionary<string, string> roles, string source, DemoOptions options)
    {
        bool[] Correct(string model, string prompt) =>
            results.First(r => r.Model == model && r.Prompt == prompt).Correct ?? throw new InvalidOperationException("evaluation kept no per-image outcomes");
        var shared = models.Where(m => roles[m] == "target" && m != Unshared).ToArray();
        var list = new List<CellOutcome>();
        foreach (var (variant, seed, o, tag) in prompts)
        {
            foreach (var m in models)
                list.Add(new CellOutcome(m, roles[m], source, variant, o.Fca, o.Tse, OptionNames.Name(o.FcaFeatures), 0, options.Corruption, options.Severity, "identity",
                    seed, Correct(m, tag), Correct(m, "none")));
            if (shared.Length > 1)
                list.Add(new CellOutcome(SharedTargets, "target", source, variant, o.Fca, o.Tse, OptionNames.Name(o.FcaFeatures), 0, options.Corruption, options.Severity, "identity",
                    seed, shared.SelectMany(m => Correct(m, tag)).ToArray(), shared.SelectMany(m => Correct(m, "none")).ToArray()));
        }
        return list;
    }

    private static void Write(string run, DemoOptions o, DemoOutcome r, IReadOnlyDictionary<string, TrainingResult> training)
    {
        var json = new
        {
            run_dir = run,
            kind = "demo",
            source = r.Source,
            task = $"Fashion-MNIST, {o.Corruption} severity {o.Severity} (prompt training and test images); canvas {o.CanvasSize}, image {o.ImageSize}, padding prompt {o.PromptSize}, encoder {o.Resolution} px",
            seeds = o.PromptSeeds,
            clean = r.Clean.Select(c => new { model = c.Model, top1 = c.Top1, n = c.Count }),
            guide = new
            {
                name = "offline (ResNet-18 × MiniLM, LiT-style linear projections)",
                holdout_zero_shot_top1_clean = r.GuideHoldoutZeroShot,
                test_zero_shot_top1_clean = r.Clean.FirstOrDefault(c => c.Model == "guide-zero-shot")?.Top1,
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
        };
        // demo.json: what only the demo has (clean accuracies, guide, zoo, timings); results.json: the study schema.
        AtomicFile.WriteAllText(Path.Combine(run, "demo.json"), JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }));
        StudyResultsWriter.Write(run, r.Results);
    }
}
