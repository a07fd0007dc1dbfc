using System.Text.Json;
using Tvp.Tests.Training;

namespace Tvp.Tests.Cli;

/// <summary><c>--resume</c> reads a run folder whose options.json was written by the string-typed options (before typed options).</summary>
public class ResumeOldRunTests
{
    [SharedFact]
    public void A_run_folder_written_before_typed_options_resumes()
    {
        using var dir = new TempDir();
        var run = Path.Combine(dir.Path, "run");
        Directory.CreateDirectory(run);
        var old = OptionsJsonCompatTests.DefaultJson
            .Replace("\"data\": \"\"", "\"data\": " + JsonSerializer.Serialize(SharedData.Path("data", "cifar10")))
            .Replace("\"source\": \"\"", "\"source\": \"cifar10-resnet20\"")
            .Replace("\"label_map\": \"identity\"", "\"label_map\": \"frequency\"")
            .Replace("\"schedule\": \"cosine\"", "\"schedule\": \"constant\"")
            .Replace("\"epochs\": 10", "\"epochs\": 1")
            .Replace("\"batch_size\": 16", "\"batch_size\": 8")
            .Replace("\"train_limit\": 0", "\"train_limit\": 32")
            .Replace("\"test_limit\": 0", "\"test_limit\": 8");
        Assert.Contains("\"train_limit\": 32", old);
        File.WriteAllText(Path.Combine(run, "options.json"), old);

        var r = CliRunner.Run("train", "--out", run, "--resume", "--json", "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.True(doc.RootElement.GetProperty("steps").GetInt64() > 0);
        Assert.True(File.Exists(Path.Combine(run, "prompt.safetensors")));
        Assert.Equal(old, File.ReadAllText(Path.Combine(run, "options.json")));
    }
}
