using Tvp.Experiments;
using Tvp.Prompts;
using Tvp.Training;

namespace QuickStart;

/// <summary>Learn one prompt on CIFAR-10 ResNet-20, measure it on ResNet-32 and -44, apply it to one image.</summary>
public static class TransferQuickStart
{
    /// <summary>Runs the example on the ImageFolder data set in <paramref name="data"/>, writing into <paramref name="runDir"/>.</summary>
    public static TransferOutcome Run(string data, string runDir, int shots = 20, int testImages = 300)
    {
        var options = new TvpOptions
        {
            Data = data, Source = "cifar10-resnet20", Targets = ["cifar10-resnet32", "cifar10-resnet44"],
            Lr = 1, Fca = 0.005, Tse = 0, Epochs = 1, Shots = shots, TestLimit = testImages,
            CanvasSize = 40, ImageSize = 32, PromptSize = 4,
        };
        var outcome = TransferExperiment.Run(options, runDir, resume: false, overwrite: true);
        foreach (var r in outcome.Results)
            Console.WriteLine($"{r.Model,-18} {r.Role,-6} top-1 {r.Top1NoPrompt,6:F2} -> {r.Top1Prompt,6:F2}");

        using var prompt = PromptApplier.Load(Path.Combine(runDir, "prompt.safetensors"));
        var image = Directory.EnumerateFiles(Path.Combine(data, "test"), "*.*", SearchOption.AllDirectories).Order().First();
        prompt.ApplyFile(image, Path.Combine(runDir, "prompted.png"));
        return outcome;
    }
}
