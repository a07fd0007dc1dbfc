using System.Diagnostics;
using Tvp.Data;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Classifiers;

/// <summary>
/// All 10,000 images of shared/data/cifar10/test decoded once (StbImageSharp) into one [10000,3,32,32]
/// tensor in [0,1], with their labels (class index from classes.txt). Shared by the ResNet accuracy tests.
/// </summary>
public sealed class CifarTestSet : IDisposable
{
    public Tensor Images { get; }
    public long[] Labels { get; }
    public IReadOnlyList<string> Classes { get; }
    public TimeSpan DecodeTime { get; }

    public CifarTestSet()
    {
        var watch = Stopwatch.StartNew();
        var root = SharedData.Path("data", "cifar10");
        Classes = File.ReadAllLines(Path.Combine(root, "classes.txt")).Where(l => l.Length > 0).ToArray();
        var files = Classes.SelectMany((c, i) => Directory.GetFiles(Path.Combine(root, "test", c), "*.jpg")
            .OrderBy(f => f, StringComparer.Ordinal).Select(f => (File: f, Label: i))).ToArray();
        const int pixels = 3 * 32 * 32;
        var data = new float[files.Length * pixels];
        Parallel.For(0, files.Length, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
        {
            var (rgb, w, h) = ImageDecoder.LoadRgb(files[i].File);
            if (w != 32 || h != 32) throw new InvalidDataException($"{files[i].File}: {w}x{h}, expected 32x32");
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++)
                    for (int c = 0; c < 3; c++)
                        data[i * pixels + c * 1024 + y * 32 + x] = rgb[(y * 32 + x) * 3 + c] / 255f;
        });
        Images = tensor(data, new long[] { files.Length, 3, 32, 32 }); // [N, 3, 32, 32]
        Labels = files.Select(f => (long)f.Label).ToArray();
        DecodeTime = watch.Elapsed;
    }

    public void Dispose() => Images.Dispose();
}
