using System.Diagnostics;
using System.Text.Json;
using Tvp.IO;
using Tvp.Models.Llava;
using Tvp.Training;
using Tvp.Models;
using static TorchSharp.torch;

namespace Tvp.Bench;

/// <summary>
/// A big LLaVA checkpoint on the CPU: load (seconds, peak RSS ÷ checkpoint bytes), one candidate scoring and one TVP
/// training step at batch 1 (LM loss through the whole language model + FCA on the projector output, gradient to
/// the prompt pixels only), each with its time and peak RSS (the kernel's high-water mark, reset between phases).
/// Args: DIR [--dtype auto|bf16|fp16|fp32] [--json FILE] [--skip-score] [--skip-step] [--activation-checkpointing].
/// Write the checkpoint first with <c>write-checkpoint llava-7b DIR</c> (or llava-1b for a quick check).
/// </summary>
public static class ScaleBench
{
    public static int Run(string[] args)
    {
        if (args.Length < 1) { Console.Error.WriteLine("usage: scale DIR [--dtype auto|bf16|fp16|fp32] [--json FILE] [--skip-score] [--skip-step] [--activation-checkpointing]"); return 2; }
        string Arg(string name, string d) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : d; }
        var dir = args[0];
        bool checkpointLayers = args.Contains("--activation-checkpointing");
        var options = new ModelLoadOptions(WeightDTypes.Parse(Arg("--dtype", "auto")));
        long checkpointBytes = Checkpoint.Open(dir).DataBytes;
        Console.WriteLine($"scale bench: {dir} ({checkpointBytes / 1e9:F2} GB of tensors), dtype {options.DType}");
        using (var warm = zeros(1)) { }                                                           // libtorch loaded before the baseline
        long baseline = PeakMemory.CurrentBytes();
        Console.WriteLine($"  before load (libtorch loaded): RSS {baseline / 1e9:F2} GB, available {PeakMemory.AvailableBytes() / 1e9:F1} GB");

        PeakMemory.Reset();
        var sw = Stopwatch.StartNew();
        LlavaPromptable m;
        using (ModelLoadOptions.Use(options)) m = LlavaPromptable.Load(dir, CPU);
        double loadS = sw.Elapsed.TotalSeconds;
        long loadPeak = PeakMemory.PeakBytes();
        Console.WriteLine($"  load: {loadS:F1} s, peak RSS {loadPeak / 1e9:F2} GB = {(double)loadPeak / checkpointBytes:F3} x checkpoint bytes " +
            $"({(double)(loadPeak - baseline) / checkpointBytes:F3} x above the libtorch baseline), weights {m.Net.parameters().First().dtype}");

        int size = m.Info.InputSize ?? m.Net.Config.Vision.ImageSize, image = m.Net.Config.ImageTokenIndex;
        var rng = new Random(5);
        int[] prompt = new[] { 1 }.Concat(Enumerable.Range(0, 6).Select(_ => rng.Next(3, 30000))).Append(image)
            .Concat(Enumerable.Range(0, 12).Select(_ => rng.Next(3, 30000))).ToArray();
        var candidates = Enumerable.Range(0, 4).Select(_ => Enumerable.Range(0, 3).Select(_ => rng.Next(3, 30000)).ToArray()).ToArray();
        var canvas = rand(new long[] { 1, 3, size, size }, generator: new Generator(3));

        double[] means = [];
        double scoreS = double.NaN;
        long scorePeak = 0;
        if (!args.Contains("--skip-score"))
        {
            PeakMemory.Reset();
            sw.Restart();
            using (var scope = NewDisposeScope())
            {
                var r = m.ScoreIds(m.PixelValues(canvas), new[] { prompt }, new[] { (IReadOnlyList<int[]>)candidates });
                means = Enumerable.Range(0, candidates.Length).Select(j => r.Mean[0, j]).ToArray();
            }
            scoreS = sw.Elapsed.TotalSeconds;
            scorePeak = PeakMemory.PeakBytes();
            Console.WriteLine($"  score {candidates.Length} candidates: {scoreS:F1} s, peak RSS {scorePeak / 1e9:F2} GB, mean log-probs [{string.Join(", ", means.Select(v => v.ToString("F4")))}]");
        }

        double loss = double.NaN, gradNorm = double.NaN, stepS = double.NaN;
        long stepPeak = 0;
        if (!args.Contains("--skip-step"))
        {
            PeakMemory.Reset();
            sw.Restart();
            var delta = zeros(new long[] { 1, 3, size, size }, requires_grad: true);
            using (var scope = NewDisposeScope())
            {
                Tensor clean;
                using (no_grad()) clean = m.ImageFeatures(canvas);                                  // [1, P, D] float32
                using var checkpointing = ActivationCheckpointing.Use(checkpointLayers);
                var (_, visual) = m.EncodeImages(m.PixelValues(canvas + delta), null);               // [1, P, D]: one pass feeds LM loss and FCA
                var task = m.LanguageModelLoss(visual, new[] { prompt }, new[] { new[] { candidates[0][0], 2 } });
                var fca = FeatureConsistency.Loss(visual.to(ScalarType.Float32), clean);
                var total = task.to(ScalarType.Float32) + 1.0 * fca;
                total.backward();
                loss = total.item<float>();
                gradNorm = delta.grad!.norm().item<float>();
            }
            stepS = sw.Elapsed.TotalSeconds;
            stepPeak = PeakMemory.PeakBytes();
            Console.WriteLine($"  TVP step (batch 1, activation checkpointing {(checkpointLayers ? "on" : "off")}, {prompt.Length - 1 + m.Net.Config.ImageSeqLength + 2} tokens): {stepS:F1} s, peak RSS {stepPeak / 1e9:F2} GB, loss {loss:F4}, |grad δ| {gradNorm:E3}");
        }

        var json = Arg("--json", "");
        if (json.Length > 0)
            File.WriteAllText(json, JsonSerializer.Serialize(new
            {
                checkpoint = dir, checkpoint_bytes = checkpointBytes, dtype = options.DType.ToString(),
                baseline_rss_bytes = baseline, load_s = loadS, load_peak_rss_bytes = loadPeak, load_peak_rss_over_checkpoint = (double)loadPeak / checkpointBytes,
                load_rss_growth_over_checkpoint = (double)(loadPeak - baseline) / checkpointBytes,
                score_s = scoreS, score_peak_rss_bytes = scorePeak, score_mean_logprobs = means,
                activation_checkpointing = checkpointLayers, step_s = stepS, step_peak_rss_bytes = stepPeak, step_loss = loss, step_grad_norm = gradNorm,
            }, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
        m.Dispose();
        return 0;
    }
}
