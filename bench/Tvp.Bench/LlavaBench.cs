using System.Diagnostics;
using Tvp.Models.Multimodal;
using Tvp.Models.Clip;
using Tvp.Models.Llama;
using Tvp.Models.Llava;
using static TorchSharp.torch;

namespace Tvp.Bench;

/// <summary>
/// LLaVA: TVP train-step images/s (LM loss on the answer, gradient to the prompt pixels) and peak memory,
/// and KV-cached vs naive candidate scoring time for 10 and 100 candidates, on a random
/// ViT 4L/256 + LLaMA 4L/256 LLaVA. Args: [--device cpu|cuda] [--batch N] [--image 112] [--steps N].
/// </summary>
public static class LlavaBench
{
    public static int Run(string[] args)
    {
        string Arg(string name, string d) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : d; }
        var device = Arg("--device", "cpu") == "cuda" ? CUDA : CPU;
        int batch = int.Parse(Arg("--batch", "8")), image = int.Parse(Arg("--image", "112")), steps = int.Parse(Arg("--steps", "5"));
        var config = new LlavaConfig(
            new ClipVisionConfig(HiddenSize: 256, IntermediateSize: 1024, NumHiddenLayers: 4, NumAttentionHeads: 4, ImageSize: image, PatchSize: 14, ProjectionDim: 128),
            new LlamaConfig(VocabSize: 1024, HiddenSize: 256, IntermediateSize: 688, NumLayers: 4, NumHeads: 8, NumKeyValueHeads: 4, HeadDim: 32,
                RmsNormEps: 1e-5, BosTokenId: 1, EosTokenId: 2),
            ImageTokenIndex: 1023);
        var folder = Path.Combine(Path.GetTempPath(), "tvp-llava-bench-" + Environment.ProcessId);
        try
        {
            LlavaCheckpointWriter.WriteRandom(folder, config, seed: 1, visionSeed: 2);
            using var m = LlavaPromptable.Load(folder, device);
            Console.WriteLine($"llava bench: ViT 4L/256 @{image}px ({config.ImageSeqLength} visual tokens) + LLaMA 4L/256 (GQA 8/4), vocab 1024, device {device.type}, batch {batch}");
            var rng = new Random(7);
            int[] Prompt() => new[] { 1, 10, 11, 1023 }.Concat(Enumerable.Range(0, 10).Select(_ => rng.Next(3, 1000))).ToArray();
            var prompts = Enumerable.Range(0, batch).Select(_ => Prompt()).ToArray();
            var answers = Enumerable.Range(0, batch).Select(_ => new[] { rng.Next(3, 1000), 2 }).ToArray();

            // Train step: forward + backward to the prompt δ (weights frozen).
            var delta = zeros(new long[] { 1, 3, 224, 224 }, device: device, requires_grad: true);
            var canvas = rand(new long[] { batch, 3, 224, 224 }, device: device);
            double TrainStep()
            {
                using var scope = NewDisposeScope();
                var loss = m.LanguageModelLoss(m.Net.ImageFeatures(m.PixelValues(canvas + delta)), prompts, answers);
                loss.backward();
                delta.grad!.zero_();
                return loss.item<float>();
            }
            TrainStep();
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < steps; i++) TrainStep();
            double ips = batch * steps / sw.Elapsed.TotalSeconds;
            Console.WriteLine($"  train step: {ips:F1} images/s ({sw.Elapsed.TotalMilliseconds / steps:F0} ms/step of {batch})");

            foreach (int c in new[] { 10, 100 })
            {
                var cands = Enumerable.Range(0, batch).Select(_ => (IReadOnlyList<int[]>)Enumerable.Range(0, c)
                    .Select(_ => Enumerable.Range(0, rng.Next(1, 4)).Select(_ => rng.Next(3, 1000)).ToArray()).ToArray()).ToArray();
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                var pv = m.PixelValues(canvas);
                var merged = m.Net.Merge(prompts, m.Net.ImageFeatures(pv), leftPad: true);
                var lm = m.Net.LanguageModel;
                ContinuationScorer.Score(lm, merged.Embeds, merged.Mask, cands);      // warm-up
                var t0 = Stopwatch.StartNew();
                var cached = ContinuationScorer.Score(lm, merged.Embeds, merged.Mask, cands);
                double tc = t0.Elapsed.TotalMilliseconds;
                ContinuationScorer.ScoreNaive(lm, merged.Embeds, merged.Mask, cands);
                t0.Restart();
                var naive = ContinuationScorer.ScoreNaive(lm, merged.Embeds, merged.Mask, cands);
                double tn = t0.Elapsed.TotalMilliseconds;
                double maxDiff = 0;
                for (int i = 0; i < batch; i++) for (int j = 0; j < c; j++) maxDiff = Math.Max(maxDiff, Math.Abs(cached.Mean[i, j] - naive.Mean[i, j]));
                Console.WriteLine($"  score {c,3} candidates x {batch} images: cached {tc:F0} ms, naive {tn:F0} ms, cached/naive = {tc / tn:F3} (max |diff| {maxDiff:g2})");
            }
            using var proc = Process.GetCurrentProcess();
            Console.WriteLine($"  peak memory (process working set): {proc.PeakWorkingSet64 / (1024.0 * 1024.0):F0} MiB");
            return 0;
        }
        finally { try { Directory.Delete(folder, true); } catch (IOException) { } }
    }
}
