using System.Diagnostics;
using System.Globalization;
using Tvp.Data;
using Tvp.Evaluation;
using Tvp.Models;
using Tvp.Demo.Guides;
using Tvp.Demo.Zoo;
using Tvp.Prompts;
using static TorchSharp.torch;
using Tvp.Experiments;

namespace Tvp.Demo;

/// <summary>The loaded zoo: models in zoo order (four shared-encoder heads, then the CNN), the guide, and how it was obtained.</summary>
/// <param name="Models">zoo-linear, zoo-mlp, zoo-attention, zoo-prototype, zoo-cnn.</param>
/// <param name="Guide">The offline guide.</param>
/// <param name="HoldoutTop1">Per model: clean held-out top-1 measured when it was trained.</param>
/// <param name="GuideHoldoutZeroShot">The guide's held-out zero-shot top-1 on clean training-split images.</param>
/// <param name="Trained">What was trained in this call (empty when everything came from the cache).</param>
/// <param name="Folder">The zoo's cache folder.</param>
/// <param name="Seconds">Wall time of preparing the zoo.</param>
internal sealed record DemoZooResult(IReadOnlyList<IPromptableModel> Models, OfflineGuide Guide, IReadOnlyDictionary<string, double> HoldoutTop1,
    double GuideHoldoutZeroShot, IReadOnlyList<string> Trained, string Folder, double Seconds) : IDisposable
{
    public void Dispose()
    {
        foreach (var m in Models) m.Dispose();
        Guide.Dispose();
    }
}

/// <summary>
/// Builds the demo zoo on first use and loads it from the cache afterwards: encoder features of the clean
/// training subset (cached), four heads, the small CNN and the offline guide, each written atomically to
/// <see cref="ZooConfig.Folder"/>.
/// </summary>
internal static class DemoZoo
{
    public static IReadOnlyList<string> Kinds { get; } = ZooHead.Kinds.Append("cnn").ToArray();

    public static DemoZooResult Prepare(ZooConfig config, IImageDataset train, int[] trainIdx, Device device, bool fresh,
        IExperimentProgress progress, CancellationToken cancel, string? cacheRoot = null, SharedEncoders? encoders = null)
    {
        encoders ??= new SharedEncoders();
        config.Validate();
        var clock = Stopwatch.StartNew();
        var folder = config.Folder(cacheRoot);
        if (fresh && Directory.Exists(folder))
        {
            progress.OnMessage($"--fresh: removing the cached zoo {folder}");
            Directory.Delete(folder, recursive: true);
        }
        Directory.CreateDirectory(folder);
        var trained = new List<string>();
        var guidePath = Path.Combine(folder, OfflineGuide.FileName);
        bool missing = Kinds.Any(k => !File.Exists(ZooStore.PathOf(folder, k))) || !File.Exists(guidePath);
        if (missing)
        {
            var task = new ClassificationTask(train, "fashion-mnist");
            var batches = new CanvasBatches(task, new CanvasPipeline(config.CanvasSize, config.ImageSize));
            var encoder = encoders.Acquire(config.Resolution, device);
            Tensor? spatial = null, labels = null;
            try
            {
                var p = progress.Begin($"encoder features of {trainIdx.Length} clean training images ({config.Resolution} px)", trainIdx.Length);
                (spatial, labels) = EncoderFeatureCache.GetOrCompute(folder, $"{config.Key}-train", encoder, batches, trainIdx, p, progress.OnMessage, cancel);
                progress.End();
                foreach (var kind in ZooHead.Kinds)
                {
                    var path = ZooStore.PathOf(folder, kind);
                    if (File.Exists(path)) continue;
                    const int epochs = 30;
                    var hp = progress.Begin($"train zoo-{kind} head", epochs);
                    var (head, acc) = ZooTraining.TrainHead(kind, spatial, labels, train.Classes.Count, config.Seed + Kinds.ToList().IndexOf(kind), epochs, hp, cancel);
                    progress.End();
                    using (head) ZooStore.Save(path, head, kind, config, train.Classes, acc);
                    progress.OnMessage($"zoo-{kind}: clean held-out top-1 {100 * acc:F2}%");
                    trained.Add($"zoo-{kind}");
                }
                if (!File.Exists(ZooStore.PathOf(folder, "cnn")))
                {
                    using var inputs = CnnInputs(batches, trainIdx, progress, cancel);
                    int epochs = ZooTraining.CnnEpochs(ZooTraining.Split(inputs.shape[0], config.Seed + 4).Train.Length, 6);
                    var cp = progress.Begin("train zoo-cnn from scratch", epochs);
                    var (net, acc) = ZooTraining.TrainCnn(inputs, labels, train.Classes.Count, config.Seed + 4, epochs, cp, cancel);
                    progress.End();
                    using (net) ZooStore.Save(ZooStore.PathOf(folder, "cnn"), net, "cnn", config, train.Classes, acc);
                    progress.OnMessage($"zoo-cnn: clean held-out top-1 {100 * acc:F2}%");
                    trained.Add("zoo-cnn");
                }
                if (!File.Exists(guidePath))
                {
                    const int epochs = 40;
                    var gp = progress.Begin("train the offline guide (ResNet-18 × MiniLM projections)", epochs);
                    var zs = OfflineGuideTraining.Train(guidePath, spatial, labels, train.Classes, config, device, epochs, gp, cancel);
                    progress.End();
                    progress.OnMessage($"offline guide: held-out zero-shot top-1 {100 * zs:F2}% (clean)");
                    trained.Add("offline-guide");
                }
            }
            finally
            {
                spatial?.Dispose();
                labels?.Dispose();
                encoders.Release(encoder);
            }
        }
        else progress.OnMessage($"zoo and guide from cache: {folder}");
        var models = new List<IPromptableModel>();
        OfflineGuide? guide = null;
        try
        {
            foreach (var kind in Kinds) models.Add(ZooStore.Load(ZooStore.PathOf(folder, kind), device, encoders));
            guide = OfflineGuide.Load(guidePath, device, encoders);
        }
        catch
        {
            foreach (var m in models) m.Dispose();
            guide?.Dispose();
            throw;
        }
        var holdout = Kinds.ToDictionary(k => $"zoo-{k}", k => double.Parse(ZooStore.Metadata(ZooStore.PathOf(folder, k))["holdout_top1"], CultureInfo.InvariantCulture));
        double zeroShot = double.Parse(guide.Metadata["holdout_zero_shot_top1"], CultureInfo.InvariantCulture);
        return new DemoZooResult(models, guide, holdout, zeroShot, trained, folder, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The CNN's prepared inputs [N,3,32,32] of the clean canvases.</summary>
    private static Tensor CnnInputs(CanvasBatches batches, int[] idx, IExperimentProgress progress, CancellationToken cancel)
    {
        var info = ZooCnnPromptable.InputOf("zoo-cnn");
        var parts = new List<Tensor>();
        var p = progress.Begin("prepare CNN inputs", idx.Length);
        int done = 0;
        try
        {
            using (no_grad())
                foreach (var batch in batches.Sequential(idx, 256))
                {
                    cancel.ThrowIfCancellationRequested();
                    using (batch) parts.Add(ModelInput.Prepare(batch.Canvas, info).DetachFromDisposeScope()); // [B, 3, 32, 32]
                    done += batch.Indices.Length;
                    p.Report(done);
                }
            progress.End();
            return cat(parts, 0);                                                          // [N, 3, 32, 32]
        }
        finally
        {
            foreach (var t in parts) t.Dispose();
        }
    }
}
