using System.Diagnostics;
using TorchSharp;
using Tvp.IO.Tokenizers;
using Tvp.Models;
using Tvp.Models.Clip;
using static TorchSharp.torch;

namespace Tvp.Bench;

/// <summary>
/// CLIP ViT-B/32-sized model with random weights (both towers at real size): forward and
/// forward+backward-to-pixels images/s at batch 1 and 16 on 224-px canvases (the guide's image path:
/// normalise, vision tower, projection, L2-normalise), and the per-step cost of encoding the 10 CIFAR-10
/// label texts that the text-feature cache saves.
/// Usage: clip [--device cpu|cuda] [--iters N] [--threads N] [--tokenizer DIR] [--write DIR]
/// </summary>
internal static class ClipBench
{
    private static readonly string[] Labels = { "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck" };

    public static int Run(string[] args)
    {
        string Arg(string name, string fallback) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback; }
        var device = torch.device(Arg("--device", "cpu"));
        int iters = int.Parse(Arg("--iters", "3"));
        var tokenizerFolder = Arg("--tokenizer", FindTokenizer());
        if (Arg("--threads", "") is { Length: > 0 } threads) set_num_threads(int.Parse(threads));
        var config = ClipConfig.VitB32;
        if (Arg("--write", "") is { Length: > 0 } writeTo)
        {
            var sw0 = Stopwatch.StartNew();
            ClipCheckpointWriter.WriteRandom(writeTo, config, seed: 0, tokenizerFolder);
            Console.WriteLine($"wrote random ViT-B/32 CLIP checkpoint to {writeTo} in {sw0.Elapsed.TotalSeconds:F1} s");
        }
        Console.WriteLine($"CLIP ViT-B/32 random weights, device {device.type}, threads {get_num_threads()}, {iters} timed iterations");
        using var model = ClipCheckpointWriter.CreateRandom(config, seed: 0);
        model.to(device);
        foreach (var p in model.parameters()) p.requires_grad_(false);
        var info = new ModelInfo("bench", "clip", config.Vision.ImageSize, ModelInfo.ClipMean, ModelInfo.ClipStd, "bicubic");
        var tokenizer = ClipTokenizer.FromFolder(tokenizerFolder);
        var texts = Labels.Select(l => $"This is a photo of a {l}").ToArray();

        foreach (int batch in new[] { 1, 16 })
        {
            using var scope = NewDisposeScope();
            var canvas = rand(batch, 3, 224, 224, device: device);
            var fwd = Time(iters, () =>
            {
                using var s = NewDisposeScope();
                using var _ = no_grad();
                ClipModel.Normalize(model.ImageFeatures(ModelInput.Prepare(canvas, info))).cpu();
            });
            using var target = ClipModel.Normalize(randn(batch, config.ProjectionDim, device: device));
            var bwd = Time(iters, () =>
            {
                using var s = NewDisposeScope();
                var px = canvas.clone().requires_grad_(true);
                var emb = ClipModel.Normalize(model.ImageFeatures(ModelInput.Prepare(px, info)));
                (emb * target).sum().backward();
                px.grad!.cpu();
            });
            Console.WriteLine($"batch {batch,2}: forward {batch / fwd.Wall,7:F1} images/s ({fwd.Wall * 1000:F0} ms wall, {fwd.Cpu * 1000:F0} ms CPU per step)" +
                $"   forward+backward-to-pixels {batch / bwd.Wall,7:F1} images/s ({bwd.Wall * 1000:F0} ms wall, {bwd.Cpu * 1000:F0} ms CPU per step)");
        }

        using var cache = new ClipTextFeatureCache(model, tokenizer);
        var uncached = Time(iters, () =>
        {
            using var s = NewDisposeScope();
            using var _ = no_grad();
            var ids = tensor(tokenizer.EncodeBatch(texts), device: device);
            ClipModel.Normalize(model.TextFeatures(ids)).cpu();
        });
        cache.Get(texts);
        var cached = Time(iters, () => { using var s = NewDisposeScope(); cache.Get(texts).cpu(); });
        Console.WriteLine($"10 label texts per step: encoding {uncached.Wall * 1000:F1} ms wall ({uncached.Cpu * 1000:F0} ms CPU), cached {cached.Wall * 1000:F2} ms" +
            $" -> {(uncached.Wall - cached.Wall) * 1000:F1} ms saved per training step");
        return 0;
    }

    /// <summary>Wall and process-CPU seconds per step after one warm-up step (CPU time stays meaningful on a shared machine).</summary>
    private static (double Wall, double Cpu) Time(int iters, Action step)
    {
        step(); // warm-up
        var proc = Process.GetCurrentProcess();
        var cpu0 = proc.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < iters; i++) step();
        double wall = sw.Elapsed.TotalSeconds / iters;
        proc.Refresh();
        double cpu = (proc.TotalProcessorTime - cpu0).TotalSeconds / iters;
        return (wall, cpu);
    }

    private static string FindTokenizer()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        for (; dir is not null; dir = dir.Parent)
        {
            var p = Path.Combine(dir.FullName, "..", "shared", "fixtures", "clip-tokenizer");
            if (Directory.Exists(p)) return Path.GetFullPath(p);
        }
        return Path.GetFullPath(Path.Combine("..", "shared", "fixtures", "clip-tokenizer"));
    }
}
