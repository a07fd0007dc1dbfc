using TorchSharp;
using System.Globalization;
using Tvp.Demo.Zoo;
using static TorchSharp.torch;
using Tvp.Models;
using Tvp.Experiments;

namespace Tvp.Demo.Guides;

/// <summary>
/// Trains the <see cref="OfflineGuide"/>'s two projections on cached encoder features of clean training images
/// and MiniLM embeddings of several text templates per class, both towers frozen (LiT). Loss: the symmetric CLIP
/// contrastive loss adapted to class labels — each step draws one template per class; image→text is
/// cross-entropy over the class texts, text→image is, for each class in the batch, the mean negative
/// log-softmax (over the batch's images) of that class's images (several positives per text). The temperature
/// is learned (log logit scale, clamped to ln 100). Reports the zero-shot top-1 on held-out rows with the
/// prompt-ensembled class embeddings.
/// </summary>
internal static class OfflineGuideTraining
{
    /// <summary>Text templates; TSE's own template ("this is a photo of a {0}") is among them.</summary>
    public static IReadOnlyList<string> Templates { get; } = new[]
    {
        "this is a photo of a {0}",
        "a photo of a {0}",
        "a black and white photo of a {0}",
        "a low resolution photo of a {0}",
        "a picture of a {0}",
        "a product photo of a {0}",
        "a grayscale image of a {0}",
        "a small photo of the {0}",
    };

    /// <summary>Trains a guide from maps [N,512,h,w] and labels [N]; writes it to <paramref name="path"/> and returns its held-out zero-shot top-1.</summary>
    public static double Train(string path, Tensor spatial, Tensor labels, IReadOnlyList<string> classes, ZooConfig config, Device device,
        int epochs = 40, IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        var texts = classes.SelectMany(c => Templates.Select(t => string.Format(CultureInfo.InvariantCulture, t, c))).ToArray();
        using var miniLM = new MiniLMSentences(device);
        using var sentences = miniLM.Encode(texts).cpu();                            // [K·T, 384], row k·T + t
        torch.manual_seed(config.Seed + 101);
        using var p = new OfflineGuide.Projections();
        using var pooled = spatial.mean(new long[] { 2, 3 });                        // [N, 512]
        var (train, hold) = ZooTraining.Split(pooled.shape[0], config.Seed);
        using (var scope = NewDisposeScope())
        using (var noGrad = no_grad())
        {
            var rows = pooled.index_select(0, tensor(train));
            p.feature_mean.copy_(rows.mean(new long[] { 0 }));
            p.feature_std.copy_(rows.std(0).clamp_min(1e-6));
        }
        int k = classes.Count, t = Templates.Count;
        using var opt = optim.Adam(p.parameters(), lr: 2e-3);
        var rng = new Random(config.Seed + 7);
        for (int e = 0; e < epochs; e++)
        {
            var order = (long[])train.Clone();
            rng.Shuffle(order);
            foreach (var chunk in order.Chunk(256))
            {
                cancel.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var idx = tensor(chunk);
                var y = labels.index_select(0, idx);                                  // [B]
                var img = p.Image(pooled.index_select(0, idx));                      // [B, W]
                var pick = tensor(Enumerable.Range(0, k).Select(c => (long)(c * t + rng.Next(t))).ToArray());
                var txt = p.Text(sentences.index_select(0, pick));                   // [K, W]
                var scale = p.log_logit_scale.clamp(max: Math.Log(100)).exp();
                var logits = img.matmul(txt.t()) * scale;                             // [B, K]
                var i2t = nn.functional.cross_entropy(logits, y);
                var logp = nn.functional.log_softmax(logits.t(), 1);                  // [K, B] over images
                var positives = nn.functional.one_hot(y, k).t().to_type(ScalarType.Float32); // [K, B]
                var perClass = -(logp * positives).sum(1) / positives.sum(1).clamp_min(1); // [K]
                var present = positives.sum(1).gt(0).to_type(ScalarType.Float32);     // [K]
                var t2i = (perClass * present).sum() / present.sum();
                var loss = (i2t + t2i) / 2;
                opt.zero_grad();
                loss.backward();
                opt.step();
            }
            progress?.Report(e + 1);
        }
        double zeroShot;
        using (var scope = NewDisposeScope())
        using (var noGrad = no_grad())
        {
            var classEmb = nn.functional.normalize(p.Text(sentences).view(k, t, -1).mean(new long[] { 1 }), p: 2, dim: 1); // [K, W]
            var idx = tensor(hold);
            var pred = p.Image(pooled.index_select(0, idx)).matmul(classEmb.t()).argmax(1);
            zeroShot = pred.eq(labels.index_select(0, idx)).sum().item<long>() / (double)hold.Length;
        }
        OfflineGuide.Save(path, p, texts, sentences, new Dictionary<string, string>
        {
            ["resolution"] = config.Resolution.ToString(CultureInfo.InvariantCulture),
            ["canvas_size"] = config.CanvasSize.ToString(CultureInfo.InvariantCulture),
            ["image_size"] = config.ImageSize.ToString(CultureInfo.InvariantCulture),
            ["zoo_key"] = config.Key,
            ["classes"] = System.Text.Json.JsonSerializer.Serialize(classes),
            ["holdout_zero_shot_top1"] = zeroShot.ToString("R", CultureInfo.InvariantCulture),
            ["logit_scale"] = Math.Exp(Math.Min(p.log_logit_scale.item<float>(), Math.Log(100))).ToString("R", CultureInfo.InvariantCulture),
        });
        return zeroShot;
    }
}
