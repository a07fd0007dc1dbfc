using System.Globalization;
using Tvp.Evaluation;
using Tvp.IO;
using static TorchSharp.torch;
using Tvp.Models;
using Tvp.Experiments;

namespace Tvp.Demo.Zoo;

/// <summary>
/// The shared encoder's spatial maps of clean canvases, computed once (no grad) and cached as safetensors
/// (<c>spatial</c> [N,512,h,w], <c>labels</c> [N]) under a key of resolution, canvas, subset and seed. Heads,
/// the offline guide and the head statistics are all trained from this file.
/// </summary>
internal static class EncoderFeatureCache
{
    /// <summary>Loads the cached maps for <paramref name="key"/> from <paramref name="folder"/>, or computes and writes them.</summary>
    public static (Tensor Spatial, Tensor Labels) GetOrCompute(string folder, string key, SharedEncoder encoder, CanvasBatches batches,
        IReadOnlyList<int> indices, IProgress<int>? progress, Action<string>? message, CancellationToken cancel)
    {
        var path = Path.Combine(folder, $"features-{key}.safetensors");
        if (File.Exists(path))
        {
            var f = new SafeTensorFile(path);
            if (f.Metadata.TryGetValue("count", out var c) && c == indices.Count.ToString(CultureInfo.InvariantCulture))
            {
                message?.Invoke($"encoder features from cache: {path}");
                return (f.ReadFloat("spatial"), f.Read("labels"));
            }
        }
        var maps = new List<Tensor>();
        var labels = new List<long>();
        int done = 0;
        try
        {
            using (no_grad())
            {
                foreach (var batch in batches.Sequential(indices, 64))
                {
                    cancel.ThrowIfCancellationRequested();
                    using (batch)
                    {
                        var map = encoder.Spatial(batch.Canvas.to(encoder.Device)).cpu();   // [B, 512, h, w]
                        maps.Add(map.DetachFromDisposeScope());
                        labels.AddRange(batch.Task.Targets.Select(t => (long)t));
                        encoder.Forget();
                    }
                    done += batch.Indices.Length;
                    progress?.Report(done);
                }
            }
            var spatial = cat(maps, 0);                                                    // [N, 512, h, w]
            var labelTensor = tensor(labels.ToArray(), dtype: ScalarType.Int64);          // [N]
            Directory.CreateDirectory(folder);
            SafeTensorFile.Write(path, new Dictionary<string, Tensor> { ["spatial"] = spatial, ["labels"] = labelTensor },
                new Dictionary<string, string> { ["format"] = "tvp-encoder-features", ["count"] = indices.Count.ToString(CultureInfo.InvariantCulture), ["key"] = key });
            return (spatial, labelTensor);
        }
        finally
        {
            foreach (var m in maps) m.Dispose();
        }
    }
}
