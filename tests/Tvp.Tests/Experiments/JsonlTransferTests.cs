using System.Text.Json;
using Tvp.Experiments;
using Tvp.Training;

namespace Tvp.Tests.Experiments;

public class JsonlTransferTests
{
    [Fact]
    public void YesNoJsonlTaskTrainsThroughOneLlavaAndTransfersToAnother()
    {
        using var dir = new TempDir();
        var a = Path.Combine(dir.Path, "llava-a");
        var b = Path.Combine(dir.Path, "llava-b");
        Tvp.Models.Llava.LlavaCheckpointWriter.WriteRandom(a, seed: 1, visionSeed: 1);
        Tvp.Models.Llava.LlavaCheckpointWriter.WriteRandom(b, seed: 1, visionSeed: 2);
        var data = Path.Combine(dir.Path, "task");
        Directory.CreateDirectory(data);
        var rng = new Random(3);
        foreach (var split in new[] { "train", "test" })
        {
            var lines = new List<string>();
            for (int i = 0; i < 12; i++)
            {
                var img = Path.Combine(data, $"{split}{i}.png");
                var px = new byte[16 * 16 * 3];
                rng.NextBytes(px);
                using (var fs = File.Create(img))
                    new StbImageWriteSharp.ImageWriter().WritePng(px, 16, 16, StbImageWriteSharp.ColorComponents.RedGreenBlue, fs);
                lines.Add(JsonSerializer.Serialize(new { image = img, question = "is there a cat in the image ?", answer = i % 2 == 0 ? "yes" : "no", candidates = new[] { "no", "yes" } }));
            }
            File.WriteAllLines(Path.Combine(data, split + ".jsonl"), lines);
        }
        var o = new TvpOptions
        {
            Data = data, Source = a, Targets = new[] { b }, CanvasSize = 64, PromptSize = 8, ImageSize = 48, Epochs = 1,
            BatchSize = 4, ValidationFraction = 0, LogEvery = 1,
        };
        var outcome = TransferExperiment.Run(o, Path.Combine(dir.Path, "run"), resume: false);
        Assert.Equal(2, outcome.Results.Count);
        Assert.All(outcome.Results, r => Assert.Equal(12, r.NTest));
        Assert.Equal(3, outcome.Training!.Steps);
        Assert.True(File.Exists(Path.Combine(dir.Path, "run", "report.html")));
    }
}
