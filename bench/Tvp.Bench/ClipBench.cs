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
/// Usage: clip [--device cpu|cuda] [--iters N] [--tokenizer DIR] [--write DIR]
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
            double fwd = Time(iters, () =>
            {
                using var s = NewDisposeScope();
                using var _ = no_grad();
                ClipModel.Normalize(model.ImageFeatures(ModelInput.Prepare(canvas, info))).cpu();
            });
            using var target = ClipModel.Normalize(randn(batch, config.ProjectionDim, device: device));
            double bwd = Time(iters, () =>
            {
                using var s = NewDisposeScope();
                var px = canvas.clone().requires_grad_(true);
                var emb = ClipModel.Normalize(model.ImageFeatures(ModelInput.Prepare(px, info)));
                (emb * target).sum().backward();
                px.grad!.cpu();
            });
            Console.WriteLine($"batch {batch,2}: forward {batch / fwd,8:F1} images/s ({fwd * 1000:F0} ms/step)   forward+backward-to-pixels {batch / bwd,8:F1} images/s ({bwd * 1000:F0} ms/step)");
        }

        using var cache = new ClipTextFeatureCache(model, tokenizer);
        double uncached = Time(iters, () =>
        {
            using var s = NewDisposeScope();
            using var _ = no_grad();
            var ids = tensor(tokenizer.EncodeBatch(texts), device: device);
            ClipModel.Normalize(model.TextFeatures(ids)).cpu();
        });
        cache.Get(texts);
        double cached = Time(iters, () => { using var s = NewDisposeScope(); cache.Get(texts).cpu(); });
        Console.WriteLine($"10 label texts per step: encoding {uncached * 1000:F1} ms, cached {cached * 1000:F2} ms -> {(uncached - cached) * 1000:F1} ms saved per training step");
        return 0;
    }

    /// <summary>Wall seconds per step (after one warm-up step); also prints the process CPU seconds per step, which stays meaningful on a shared machine.</summary>
    private static double Time(int iters, Action step)
    {
        step(); // warm-up
        var proc = Process.GetCurrentProcess();
        var cpu0 = proc.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < iters; i++) step();
        double wall = sw.Elapsed.TotalSeconds / iters;
        proc.Refresh();
        double cpu = (proc.TotalProcessorTime - cpu0).TotalSeconds / iters;
        Console.Write($"  [{wall * 1000:F0} ms wall, {cpu * 1000:F0} ms CPU per step] ");
        return wall;
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
