using Tvp.Data;

namespace Tvp.Tests.Samples;

/// <summary>The README's C# example (samples/QuickStart) runs on the public API, at a small size.</summary>
public sealed class QuickStartTests
{
    [SharedFact]
    public void TheQuickStartTrainsTransfersAndApplies()
    {
        // Short model names resolve through the model folders; the tests' working directory is the build output.
        Environment.SetEnvironmentVariable("TVP_MODELS", SharedData.Path("models"));
        using var dir = new TempDir();
        var run = Path.Combine(dir.Path, "run");
        var outcome = QuickStart.TransferQuickStart.Run(SharedData.Path("data", "cifar10"), run, shots: 2, testImages: 40);
        Assert.Equal(new[] { "cifar10-resnet20", "cifar10-resnet32", "cifar10-resnet44" }, outcome.Results.Select(r => r.Model));
        Assert.Equal(new[] { "source", "target", "target" }, outcome.Results.Select(r => r.Role));
        Assert.All(outcome.Results, r => Assert.Equal(40, r.NTest));
        Assert.All(outcome.Results, r => Assert.InRange(r.Top1Prompt, 0, 100));
        Assert.True(File.Exists(Path.Combine(run, "prompt.safetensors")));
        using var png = ImageDecoder.Load(Path.Combine(run, "prompted.png"));   // [3, H, W]: the prompt's canvas
        Assert.Equal(new long[] { 3, 40, 40 }, png.shape);
    }
}
