using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Tvp.Models;
using Tvp.Models.Blip2;
using Tvp.Models.Llava;
using Tvp.Training;
using Tvp.Data;
using static TorchSharp.torch;

namespace Tvp.Bench;

/// <summary>
/// <c>suite</c>: one run over every model family, written as ONE JSON file and a markdown table
/// (<c>bench-&lt;UTC time&gt;.json/.md</c> in <c>--out</c>, default <c>bench-results</c>).
/// <para>
/// Per family: evaluation (no gradient), a VP step (task loss, backward to the prompt, update), a TVP step (task loss +
/// FCA from one forward pass, no guide — the issue's definition for the TVP/VP ratio — with the clean features from the
/// cache, and again with them recomputed in the step without gradients, as under crop+flip), a TVP + TSE step (TSE through
/// the tiny CLIP fixture, text features cached) and the reference loop (the released code's waste: clean features
/// recomputed every step with gradients recorded, task loss and FCA features from separate passes, TSE text features
/// encoded every step), each in images/s and achieved GFLOP/s (as % of the sgemm peak measured in the same run), with
/// the family's peak RSS. Every phase runs once per round and the ratios (TVP/VP, reference/TVP + TSE) are taken within
/// each round (<see cref="RoundRatio"/>).
/// Also: the machine (CPU model, cores, load average before/after), the imported ONNX ResNet-18 against ONNX
/// Runtime, the MobileNet-V2 / V1-0.75/192 per-multiply-add ratio (forward and forward+backward, <see cref="PerMacBench"/>), and, with
/// <c>--scale-json FILE</c>, the 7B figures of an earlier <c>scale</c> run.
/// </para>
/// <para>
/// GFLOP/s use published multiply-add counts (2 FLOPs each) for the forward pass; a step that back-propagates to
/// the pixels only (weights frozen) is counted as 2 forwards. Families with no published count report images/s only.
/// The prompt is an additive full-canvas pixel prompt (the arithmetic of every prompt shape is the model's).
/// Args: [--full] [--out DIR] [--scale-json FILE] [--steps N] [--only NAME,NAME].
/// </para>
/// </summary>
public static class SuiteBench
{
    /// <summary>One family to measure: registry name or folder, batch, forward multiply-adds per image (null = unknown).</summary>
    private sealed record Family(string Label, string Model, int Batch, double? MultiplyAdds, string? MissingHint = null);

    private static readonly string[] Classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public static int Run(string[] args)
    {
        string Arg(string name, string d) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : d; }
        bool full = args.Contains("--full");
        int steps = int.Parse(Arg("--steps", full ? "15" : "9"));
        if (steps < 1) throw new ArgumentException($"--steps must be >= 1, got {steps}");
        int scale = full ? 2 : 1;
        var only = Arg("--only", "").Split(',', StringSplitOptions.RemoveEmptyEntries);
        var outDir = Arg("--out", "bench-results");
        var fixtures = Arg("--fixtures", "../shared/fixtures");

        var families = new List<Family>
        {
            // Published forward multiply-adds: MobileNet papers (V2 1.0/224: 300 M; V1 0.75/192: 233 M), He et al. CIFAR ResNet-20: 41 M.
            new("MobileNet-V2 1.0/224", "mobilenet_v2_1.0_224", 16 * scale, 300e6),
            new("MobileNet-V1 0.75/192", "mobilenet_v1_0.75_192", 16 * scale, 233e6),
            new("CIFAR ResNet-20", "cifar10-resnet20", 64 * scale, 41e6),
            new("demo zoo (ResNet-18 @64 + MLP head)", "zoo-mlp", 32 * scale, null, "the zoo is trained and cached by the first `./tvp demo` run; run it once"),
            new("tiny CLIP (fixture)", Path.Combine(fixtures, "tiny-clip"), 16 * scale, null),
            // The MLLM fixtures carry no tokenizer, so the suite writes random tiny checkpoints that do (RandomCheckpoints' writers).
            new("tiny LLaVA (random, 32 px)", RandomFolder("llava", d => LlavaCheckpointWriter.WriteRandom(d, LlavaCheckpointWriter.TinyConfig(imageSize: 32))), 4 * scale, null),
            new("tiny BLIP-2 OPT (random, 32 px)", RandomFolder("blip2-opt", d => Blip2CheckpointWriter.WriteRandom(d,
                Blip2CheckpointWriter.TinyConfig(Blip2Kind.Blip2, Blip2CheckpointWriter.TextKind.Opt, imageSize: 32), LlavaCheckpointWriter.BaseWords)), 4 * scale, null),
        };
        if (only.Length > 0) families = families.Where(f => only.Any(o => f.Model.Contains(o, StringComparison.OrdinalIgnoreCase))).ToList();

        var machine = Machine.Describe();
        Console.WriteLine($"suite: {machine.CpuModel}, {machine.LogicalCores} cores, torch threads {machine.TorchThreads}, load average {machine.LoadAverageStart}; {machine.Blas}; {machine.Memory}; {machine.Threads}");
        double peak = SgemmPeak(full ? 4096 : 2048);
        Console.WriteLine($"  sgemm peak {peak:F1} GFLOP/s");

        // TSE's guide in every TVP step: the tiny CLIP fixture (the paper's is CLIP ViT-B/32; the point here is the loop's
        // structure: cached text features vs the released code's per-step text encoding, not CLIP's own cost).
        IImageTextGuide? guide = null;
        try { guide = GuideRegistry.Load(Path.Combine(fixtures, "tiny-clip"), CPU); }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException)
        {
            Console.WriteLine($"  TSE guide: none ({e.Message.Split('\n')[0]}); TVP steps without TSE");
        }
        var results = new List<FamilyResult>();
        foreach (var f in families)
        {
            var r = Measure(f, steps, peak, guide);
            results.Add(r);
            Console.WriteLine(r.Error is null
                ? $"  {f.Label}: eval {r.Eval!.ImagesPerSecond:F1} img/s, VP {r.VpStep!.ImagesPerSecond:F1}, TVP {r.TvpStep!.ImagesPerSecond:F1} (recomputed clean {r.TvpRecomputedStep!.ImagesPerSecond:F1}; with TSE {r.TvpTseStep!.ImagesPerSecond:F1}), reference {r.ReferenceTvpStep!.ImagesPerSecond:F1} img/s; TVP/VP {r.TvpOverVp!.Format()} / {r.TvpRecomputedOverVp!.Format()}, speed-up {r.ReferenceSpeedup!.Format()}, peak RSS {r.PeakRssBytes / 1e9:F2} GB"
                : $"  {f.Label}: skipped ({r.Error})");
        }

        OnnxComparison? onnx = null;
        if (only.Length == 0 || only.Any(o => "onnx".Contains(o, StringComparison.OrdinalIgnoreCase)))
        {
            try
            {
                var (ours, ort, ratio, diff) = OnnxBench.Compare(16, full ? 15 : 9);
                onnx = new OnnxComparison(16, ours, ort, ratio, diff);
                Console.WriteLine($"  ONNX ResNet-18 batch 16: imported {ours:F1} img/s, ORT {ort:F1} img/s, ratio {ratio.Format()}");
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or InvalidOperationException or IOException)
            {
                Console.WriteLine($"  ONNX ResNet-18: skipped ({e.Message})");
            }
        }

        PerMultiplyAdd? perMac = null;
        if (only.Length == 0 || only.Any(o => o.Contains("mobilenet", StringComparison.OrdinalIgnoreCase) || o == "per-mac"))
        {
            var (fwd, fwdBwd) = PerMacBench.Measure(full ? 25 : 11, _ => { });
            perMac = new PerMultiplyAdd(fwd, fwdBwd);
            Console.WriteLine($"  MobileNet-V2 / V1-0.75/192 per multiply-add (alternating rounds, median): forward {fwd.Median:F2}, forward+backward {fwdBwd.Median:F2}");
        }

        JsonElement? scaleRun = null;
        var scaleJson = Arg("--scale-json", "");
        if (scaleJson.Length > 0 && File.Exists(scaleJson))
            scaleRun = JsonDocument.Parse(File.ReadAllText(scaleJson)).RootElement.Clone();

        machine = machine with { LoadAverageEnd = Machine.LoadAverage() };
        var report = new SuiteReport(DateTime.UtcNow, full ? "full" : "small", steps, machine, peak, results, onnx, perMac, scaleRun);
        Directory.CreateDirectory(outDir);
        var stem = Path.Combine(outDir, $"bench-{report.TimeUtc:yyyyMMdd-HHmmss}");
        File.WriteAllText(stem + ".json", JsonSerializer.Serialize(report, Json));
        File.WriteAllText(stem + ".md", Markdown(report));
        Console.WriteLine($"wrote {stem}.json and {stem}.md");
        var randomRoot = Path.Combine(Path.GetTempPath(), $"tvp-suite-{Environment.ProcessId}");
        if (Directory.Exists(randomRoot)) Directory.Delete(randomRoot, recursive: true);
        return 0;
    }

    /// <summary>A random tiny checkpoint written once per process into a temporary folder.</summary>
    private static string RandomFolder(string kind, Action<string> write)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"tvp-suite-{Environment.ProcessId}", kind);
        if (!Directory.Exists(dir)) write(dir);
        return dir;
    }

    /// <summary>The median (the mean of the middle two for an even count).</summary>
    internal static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    /// <summary>Best of 3 float32 n×n matrix products, GFLOP/s (2n³ FLOPs each).</summary>
    internal static double SgemmPeak(int n)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var a = rand(n, n);
        var b = rand(n, n);
        using (var warm = mm(a, b)) { }
        double best = double.MaxValue;
        for (int i = 0; i < 3; i++)
        {
            var sw = Stopwatch.StartNew();
            using var c = mm(a, b);
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return 2.0 * n * n * n / best / 1e9;
    }

    /// <summary>λ_fca and λ_tse of the timed TVP steps (the paper's).</summary>
    private const double LambdaFca = 0.005, LambdaTse = 0.001;

    private static FamilyResult Measure(Family f, int steps, double peak, IImageTextGuide? guide)
    {
        IPromptableModel model;
        try { model = ModelRegistry.Load(f.Model, CPU); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var why = f.MissingHint is { } hint ? $"not here ({hint})" : e.Message.Split('\n')[0];
            return new FamilyResult(f.Label, f.Model, f.Batch, f.MultiplyAdds, null, null, null, null, null, null, null, null, null, 0, why);
        }
        using (model)
        {
            try
            {
                PeakMemory.Reset();
                if (model is ILabelledClassifier lc) lc.Mapping = LabelMapping.Identity(Classes, lc.Labels.Count);
                int size = model.Info.InputSize ?? 224;
                var labels = Enumerable.Range(0, f.Batch).Select(i => i % Classes.Length).ToArray();
                var batch = TaskBatch.Classification(Classes, labels);
                using var images = rand(new long[] { f.Batch, 3, size, size }, generator: new Generator(11));

                double fwd = f.MultiplyAdds is { } macs ? 2 * macs : double.NaN;
                var delta = zeros(new long[] { 1, 3, size, size }, requires_grad: true);
                void Update()
                {
                    using var noGrad = no_grad();
                    delta.sub_(0.01 * delta.grad!.sign());
                    delta.grad!.zero_();
                }
                Tensor clean;
                using (no_grad()) clean = model.ImageFeatures(images);                      // computed once: does not depend on the prompt
                var labelTexts = labels.Select(l => Classes[l]).ToArray();
                using var tse = guide is null ? null : new TaskSemantics(guide);            // text features encoded once, then cached
                Tensor Tse(Tensor prompted) => tse is null ? zeros(1) : tse.Similarity(prompted, labelTexts);
                void TvpStep(bool recompute, bool withTse)
                {
                    using var scope = NewDisposeScope();
                    Tensor target = clean;
                    if (recompute) using (no_grad()) target = model.ImageFeatures(images);  // a view not seen before (crop-flip): no cache hit
                    var prompted = images + delta;
                    var (loss, features) = model.TaskLossWithFeatures(prompted, batch);
                    var objective = loss + LambdaFca * FeatureConsistency.Loss(features, target);
                    if (withTse) objective = objective - LambdaTse * Tse(prompted);
                    objective.backward();
                    Update();
                }
                // Every phase once per round, rounds repeated: ratios are taken within a round (RoundRatio).
                var phases = new (string Name, double Flops, Action Step)[]
                {
                    ("eval", fwd, () => { using var scope = NewDisposeScope(); using var noGrad = no_grad(); model.Score(images, batch); }),
                    ("vp", 2 * fwd, () => { using var scope = NewDisposeScope(); model.TaskLoss(images + delta, batch).backward(); Update(); }),
                    ("tvp", 2 * fwd, () => TvpStep(recompute: false, withTse: false)),
                    ("tvp-recomputed", 2 * fwd, () => TvpStep(recompute: true, withTse: false)),
                    ("tvp-tse", 2 * fwd, () => TvpStep(recompute: false, withTse: true)),
                    ("reference", 3 * fwd, () =>
                    {
                        using var scope = NewDisposeScope();
                        var cleanWithGraph = model.ImageFeatures(images);                   // released code: recomputed every step, graph recorded
                        var prompted = images + delta;
                        var loss = model.TaskLoss(prompted, batch);                         // separate passes for the loss and the FCA features
                        var objective = loss + LambdaFca * FeatureConsistency.Loss(model.ImageFeatures(prompted), cleanWithGraph);
                        if (guide is not null)
                        {
                            // released code: the label texts encoded again every step (with a graph), then the cosine
                            var text = guide.EncodeText(labelTexts.Select(l => $"this is a photo of a {l}").ToArray()); // [B, D]
                            var cos = nn.functional.cosine_similarity(guide.EncodeImage(prompted), text, 1);            // [B]
                            objective = objective - LambdaTse * Math.Min(guide.LogitScale, 100.0) * cos.mean();
                        }
                        objective.backward();
                        Update();
                    }),
                };
                foreach (var p in phases) for (int w = 0; w < 3; w++) p.Step();            // warm-up: oneDNN builds its kernels over the first 3-4 calls
                var seconds = new double[phases.Length, steps];
                for (int r = 0; r < steps; r++)
                    for (int k = 0; k < phases.Length; k++)
                    {
                        var sw = Stopwatch.StartNew();
                        phases[k].Step();
                        seconds[k, r] = sw.Elapsed.TotalSeconds;
                    }
                Phase Summary(int k)
                {
                    double ips = f.Batch / Median(Enumerable.Range(0, steps).Select(r => seconds[k, r])); // median step: robust to a stray interruption
                    double? gflops = double.IsNaN(phases[k].Flops) ? null : ips * phases[k].Flops / 1e9;
                    return new Phase(ips, gflops, gflops / peak * 100);
                }
                RoundRatio Ratio(int numerator, int denominator) => RoundRatio.Of(Enumerable.Range(0, steps).Select(r => seconds[numerator, r] / seconds[denominator, r]));
                clean.Dispose();
                delta.Dispose();
                long peakRss = PeakMemory.PeakBytes();
                return new FamilyResult(f.Label, f.Model, f.Batch, f.MultiplyAdds, Summary(0), Summary(1), Summary(2), Summary(3), Summary(4), Summary(5),
                    Ratio(2, 1), Ratio(3, 1), Ratio(5, 4), peakRss, null);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or NotSupportedException or ExternalException)
            {
                return new FamilyResult(f.Label, f.Model, f.Batch, f.MultiplyAdds, null, null, null, null, null, null, null, null, null, 0, e.Message.Split('\n')[0]);
            }
        }
    }

    private static string Markdown(SuiteReport r)
    {
        static string F(double? v, string fmt = "F1") => v is { } x && !double.IsNaN(x) ? x.ToString(fmt, System.Globalization.CultureInfo.InvariantCulture) : "–";
        static string G(Phase? p) => p is null ? "–" : p.Gflops is null ? F(p.ImagesPerSecond) : $"{F(p.ImagesPerSecond)} ({F(p.Gflops)} GF/s, {F(p.PercentOfPeak, "F0")} %)";
        var sb = new StringBuilder();
        sb.AppendLine($"tvp bench ({r.Size}, {r.Steps} timed steps each), {r.TimeUtc:yyyy-MM-dd HH:mm} UTC — {r.Machine.CpuModel}, {r.Machine.LogicalCores} cores, " +
            $"torch threads {r.Machine.TorchThreads}, load average {r.Machine.LoadAverageStart} → {r.Machine.LoadAverageEnd}; {r.Machine.Blas}; {r.Machine.Memory}; {r.Machine.Threads}; **sgemm peak {F(r.SgemmPeakGflops)} GFLOP/s**");
        sb.AppendLine();
        sb.AppendLine("| family | batch | eval img/s | VP step img/s | TVP step img/s (FCA, clean cached) | TVP step img/s (FCA, clean recomputed) | TVP + TSE step img/s | reference TVP + TSE img/s | TVP/VP step time, clean cached | TVP/VP, clean recomputed | reference / TVP + TSE | peak RSS GB |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var f in r.Families)
            sb.AppendLine(f.Error is not null
                ? $"| {f.Label} | {f.Batch} | skipped: {f.Error} | | | | | | | | | |"
                : $"| {f.Label} | {f.Batch} | {G(f.Eval)} | {G(f.VpStep)} | {G(f.TvpStep)} | {G(f.TvpRecomputedStep)} | {G(f.TvpTseStep)} | {G(f.ReferenceTvpStep)} | {f.TvpOverVp?.Format()} | {f.TvpRecomputedOverVp?.Format()} | {f.ReferenceSpeedup?.Format()} | {F(f.PeakRssBytes / 1e9, "F2")} |");
        sb.AppendLine();
        sb.AppendLine($"Images/s: median step of {r.Steps} rounds (every phase once per round, after 3 warm-up calls each). Ratios: step-time ratio within each round, median [quartiles] over the rounds. TVP = task loss + FCA (λ {LambdaFca}) from one forward pass, no guide; TVP + TSE adds the guide (λ {LambdaTse}, text features cached); the reference loop is the released code's (clean features with a graph, separate passes, label texts re-encoded every step).");
        sb.AppendLine();
        if (r.Onnx is { } o) sb.AppendLine($"- ONNX ResNet-18, batch {o.Batch}: imported {F(o.ImportedImagesPerSecond)} img/s, ONNX Runtime {F(o.OnnxRuntimeImagesPerSecond)} img/s, ratio **{o.Ratio.Format()}** (median [quartiles] of {o.Ratio.Rounds} alternating rounds; max |diff| {o.MaxAbsDifference:E1})");
        if (r.MobileNetV2OverV1PerMultiplyAdd is { } m) sb.AppendLine($"- MobileNet-V2 / V1-0.75/192 per multiply-add (batch 16, the two run alternately, median of per-round ratios [quartiles]): forward **{m.Forward.Format()}**, forward+backward-to-pixels **{m.ForwardBackward.Format()}**");
        if (r.ScaleRun is { } s) sb.AppendLine($"- 7B (earlier `scale` run): {s}");
        return sb.ToString();
    }

    /// <summary>Images/s of one phase, achieved GFLOP/s and its share of the sgemm peak (null without a multiply-add count).</summary>
    public sealed record Phase(double ImagesPerSecond, double? Gflops, double? PercentOfPeak);

    /// <summary>One family's figures (Error set and the rest empty when it could not be measured).</summary>
    /// <remarks>
    /// TvpStep: task loss + FCA, no guide (the issue's TVP/VP definition), clean features from the cache (every epoch after
    /// the first with <c>--augment none</c>; one pass per view with <c>flip</c>); TvpRecomputedStep: the same with clean
    /// features computed in the step without gradients (a new crop-flip view); TvpTseStep: TvpStep plus TSE through the
    /// guide with cached text features, against ReferenceTvpStep (the released code's loop, same objective). Ratios are
    /// step-time ratios taken within each round (<see cref="RoundRatio"/>).
    /// </remarks>
    public sealed record FamilyResult(string Label, string Model, int Batch, double? MultiplyAdds, Phase? Eval, Phase? VpStep, Phase? TvpStep,
        Phase? TvpRecomputedStep, Phase? TvpTseStep, Phase? ReferenceTvpStep, RoundRatio? TvpOverVp, RoundRatio? TvpRecomputedOverVp,
        RoundRatio? ReferenceSpeedup, long PeakRssBytes, string? Error);

    /// <summary>Imported ONNX ResNet-18 against ONNX Runtime, same batch, same run.</summary>
    public sealed record OnnxComparison(int Batch, double ImportedImagesPerSecond, double OnnxRuntimeImagesPerSecond, RoundRatio Ratio, double MaxAbsDifference);

    /// <summary>MobileNet-V2's images/s × multiply-adds over MobileNet-V1 0.75/192's.</summary>
    public sealed record PerMultiplyAdd(RoundRatio Forward, RoundRatio ForwardBackward);

    /// <summary>The whole run.</summary>
    public sealed record SuiteReport(DateTime TimeUtc, string Size, int Steps, Machine Machine, double SgemmPeakGflops, IReadOnlyList<FamilyResult> Families,
        OnnxComparison? Onnx, PerMultiplyAdd? MobileNetV2OverV1PerMultiplyAdd, JsonElement? ScaleRun);
}
