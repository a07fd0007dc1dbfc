using System.Diagnostics;
using System.Text.Json;
using static TorchSharp.torch;

namespace Tvp.Tests.Cli;

public class CliTests
{
    [SharedFact]
    public void TransferRunsEndToEndAndPrintsTheJsonSchema()
    {
        using var dir = new TempDir();
        var run = Path.Combine(dir.Path, "run");
        var r = CliRunner.Run("transfer", "--data", SharedData.Path("data", "cifar10"), "--source", "cifar10-resnet20",
            "--targets", "cifar10-resnet32", "--train-limit", "48", "--test-limit", "40", "--epochs", "1", "--batch-size", "8",
            "--val-fraction", "0.25", "--checkpoint-every", "2", "--out", run, "--json", "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal(Path.GetFullPath(run), doc.RootElement.GetProperty("run_dir").GetString());
        var results = doc.RootElement.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(2, results.Length);
        Assert.Equal("source", results[0].GetProperty("role").GetString());
        Assert.Equal("target", results[1].GetProperty("role").GetString());
        foreach (var x in results)
        {
            Assert.Equal(40, x.GetProperty("n_test").GetInt32());
            Assert.InRange(x.GetProperty("top1_no_prompt").GetDouble(), 0.3, 1.0); // real ResNets on CIFAR-10
            Assert.InRange(x.GetProperty("top1_prompt").GetDouble(), 0.0, 1.0);
        }
        foreach (var f in new[] { "options.json", "metrics.jsonl", "checkpoint.safetensors", "prompt.safetensors", "prompt.png", "results.json", "results.csv", "results.md" })
            Assert.True(File.Exists(Path.Combine(run, f)), f);
        // The run can be reproduced from its folder: options.json holds the options used.
        var opts = Tvp.Training.TvpOptions.FromJson(File.ReadAllText(Path.Combine(run, "options.json")));
        Assert.Equal(48, opts.TrainLimit);
        Assert.Equal(10.0, opts.Lr);
        // A completed run is not overwritten silently.
        var again = CliRunner.Run("transfer", "--data", SharedData.Path("data", "cifar10"), "--source", "cifar10-resnet20", "--out", run, "--quiet");
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("completed run", again.Stderr);
        // eval: the prompt on a larger canvas is resized with a warning; the matrix has rows none + the prompt
        var evalDir = Path.Combine(dir.Path, "eval");
        var ev = CliRunner.Run("eval", "--data", SharedData.Path("data", "cifar10"), "--models", "cifar10-resnet20", "cifar10-resnet32",
            "--prompt", Path.Combine(run, "prompt.safetensors"), "--canvas-size", "256", "--test-limit", "20", "--out", evalDir, "--json");
        Assert.True(ev.ExitCode == 0, ev.Stderr);
        Assert.Contains("resizing it to 256", ev.Stderr);
        using (var evDoc = JsonDocument.Parse(File.ReadAllText(Path.Combine(evalDir, "results.json"))))
        {
            var prompts = evDoc.RootElement.GetProperty("matrix").GetProperty("prompts").EnumerateArray().Select(e => e.GetString()).ToArray();
            Assert.Equal(2, prompts.Length);
            Assert.Equal("none", prompts[0]);
        }
        Assert.True(File.Exists(Path.Combine(evalDir, "report.html")));
        // apply writes prompted PNGs
        var png = Path.Combine(dir.Path, "png");
        var a = CliRunner.Run("apply", "--prompt", Path.Combine(run, "prompt.safetensors"), "--images",
            SharedData.Path("data", "samples", "cat.bmp"), "--out", png, "--quiet");
        Assert.True(a.ExitCode == 0, a.Stderr);
        using var img = Tvp.Data.ImageDecoder.Load(Path.Combine(png, "cat.png"));
        Assert.Equal(new long[] { 3, 224, 224 }, img.shape);
    }

    private static string[] KillArgs(string run) => new[] { "train", "--data", SharedData.Path("data", "cifar10"), "--source", "cifar10-resnet20",
        "--train-limit", "96", "--epochs", "2", "--batch-size", "8", "--val-fraction", "0.001", "--val-min", "24", "--val-every", "3", "--checkpoint-every", "4",
        "--out", run, "--quiet" };

    /// <summary>The step recorded in a run's checkpoint, or -1 while there is none (checkpoints are written atomically).</summary>
    private static long CheckpointStep(string run)
    {
        var ck = Path.Combine(run, "checkpoint.safetensors");
        try { return File.Exists(ck) ? long.Parse(new Tvp.IO.SafeTensorFile(ck).Metadata["step"]) : -1; }
        catch (IOException) { return -1; }
    }

    private static Process StartTvp(string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = SharedData.RepoRoot, RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Tvp.Cli.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["TVP_CACHE"] = Path.Combine(Path.GetTempPath(), "tvp-test-cache");
        return Process.Start(psi)!;
    }

    /// <summary>Waits until the run's checkpoint holds at least step <paramref name="step"/>; returns the step seen.</summary>
    private static long WaitForCheckpoint(string run, long step, Process p)
    {
        var deadline = DateTime.UtcNow.AddMinutes(5);
        long seen;
        while ((seen = CheckpointStep(run)) < step && !p.HasExited && DateTime.UtcNow < deadline) Thread.Sleep(20);
        return seen;
    }

    [SharedFact]
    public void AKilledRunResumesToTheSamePromptByteForByte()
    {
        using var dir = new TempDir();
        var straight = Path.Combine(dir.Path, "straight");
        var s = CliRunner.Run(KillArgs(straight));
        Assert.True(s.ExitCode == 0, s.Stderr);

        var run = Path.Combine(dir.Path, "run");
        long killedAt;
        using (var p = StartTvp(KillArgs(run)))
        {
            killedAt = WaitForCheckpoint(run, 4, p);
            if (!p.HasExited) p.Kill(entireProcessTree: true); // SIGKILL: no chance to clean up
            p.WaitForExit();
        }
        Assert.InRange(killedAt, 4, 23); // 96 training images (24 validation images drawn apart) / batch 8 × 2 epochs = 24 steps; killed before the end
        Assert.False(File.Exists(Path.Combine(run, "results.json")), "a killed run must not look complete");
        var again = CliRunner.Run(KillArgs(run));
        Assert.Equal(2, again.ExitCode); // refuses to clobber the unfinished run
        Assert.Contains("--resume", again.Stderr);
        var resumed = CliRunner.Run("train", "--out", run, "--resume", "--json", "--quiet");
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        using var doc = JsonDocument.Parse(resumed.Stdout);
        Assert.Equal(24, doc.RootElement.GetProperty("steps").GetInt64());
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "prompt.safetensors")), File.ReadAllBytes(Path.Combine(run, "prompt.safetensors")));
        var steps = File.ReadLines(Path.Combine(run, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.TryGetProperty("loss", out _)).Select(e => e.GetProperty("step").GetInt64()).ToArray();
        Assert.Equal(new long[] { 10, 20, 24 }, steps); // logged every 10 steps and at the end: each once, none lost or doubled

        // SIGTERM: a final checkpoint, a message naming the step and how to resume, exit 143; resuming gives the same bytes.
        var termed = Path.Combine(dir.Path, "termed");
        string stderr;
        int code;
        using (var p = StartTvp(KillArgs(termed)))
        {
            var err = p.StandardError.ReadToEndAsync();
            WaitForCheckpoint(termed, 4, p);
            using (var kill = Process.Start("kill", new[] { "-TERM", p.Id.ToString() })!) kill.WaitForExit();
            p.WaitForExit();
            (code, stderr) = (p.ExitCode, err.Result);
        }
        if (code == 0) return; // the run finished before the signal arrived (a very fast machine): nothing to check
        Assert.Equal(143, code);
        var m = System.Text.RegularExpressions.Regex.Match(stderr, @"interrupted at step (\d+) of 24");
        Assert.True(m.Success, stderr);
        Assert.Contains("--resume", stderr);
        Assert.Equal(long.Parse(m.Groups[1].Value), CheckpointStep(termed)); // the final checkpoint holds every completed step
        var t = CliRunner.Run("train", "--out", termed, "--resume", "--quiet");
        Assert.True(t.ExitCode == 0, t.Stderr);
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "prompt.safetensors")), File.ReadAllBytes(Path.Combine(termed, "prompt.safetensors")));
    }

    [Fact]
    public void UnknownModelIsOneClearError()
    {
        using var dir = new TempDir();
        MakeImageFolder(dir.Path, 2);
        var run = Path.Combine(dir.Path, "run");
        var r = CliRunner.Run("transfer", "--data", dir.Path, "--source", "no-such-model", "--out", run, "--quiet");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("unknown model 'no-such-model'", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr); // no stack trace
        Assert.False(Directory.Exists(run), "a failed run must not leave a run folder behind");
    }

    [Fact]
    public void MissingDataFolderAndEmptyClassFolderAreClearErrors()
    {
        using var dir = new TempDir();
        var r = CliRunner.Run("train", "--data", Path.Combine(dir.Path, "nope"), "--source", "x", "--out", Path.Combine(dir.Path, "run"), "--quiet");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("nope", r.Stderr);
        MakeImageFolder(dir.Path, 2);
        Directory.CreateDirectory(Path.Combine(dir.Path, "train", "c2"));
        Directory.CreateDirectory(Path.Combine(dir.Path, "test", "c2"));
        var e = CliRunner.Run("train", "--data", dir.Path, "--source", "x", "--out", Path.Combine(dir.Path, "run"), "--quiet");
        Assert.Equal(2, e.ExitCode);
        Assert.Contains("c2", e.Stderr);
        Assert.Contains("no images", e.Stderr);
    }

    [SharedFact]
    public void CorruptImageNamesTheFile()
    {
        using var dir = new TempDir();
        MakeImageFolder(dir.Path, 2);
        var bad = Path.Combine(dir.Path, "train", "c0", "zz-broken.png");
        File.WriteAllBytes(bad, new byte[] { 0x89, 0x50, 0x4E, 0x47, 1, 2, 3 });
        var r = CliRunner.Run("train", "--data", dir.Path, "--source", "cifar10-resnet20", "--val-fraction", "0",
            "--epochs", "1", "--out", Path.Combine(dir.Path, "run"), "--quiet");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("zz-broken.png", r.Stderr);
        Assert.False(File.Exists(Path.Combine(dir.Path, "run", "prompt.safetensors")));
        Assert.False(File.Exists(Path.Combine(dir.Path, "run", "results.json")));
    }

    [Fact]
    public void PromptFileOfAnotherShapeIsRejectedByApply()
    {
        using var dir = new TempDir();
        var p = dir.File("p.safetensors");
        using var t = zeros(3, 10, 12);
        Tvp.IO.SafeTensorFile.Write(p, new Dictionary<string, Tensor> { ["prompt"] = t });
        var r = CliRunner.Run("apply", "--prompt", p, "--images", "x.png", "--out", dir.File("o"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("p.safetensors", r.Stderr);
        Assert.Contains("[3,10,12]", r.Stderr);
    }

    [Fact]
    public void BadOptionValuesAreRejected()
    {
        using var dir = new TempDir();
        MakeImageFolder(dir.Path, 2);
        var r = CliRunner.Run("train", "--data", dir.Path, "--source", "x", "--prompt-shape", "circle", "--out", dir.File("run"), "--quiet");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("circle", r.Stderr);
    }

    /// <summary>train/ and test/ with classes c0, c1, each holding a few random PNGs.</summary>
    internal static void MakeImageFolder(string root, int perClass)
    {
        var rng = new Random(1);
        foreach (var split in new[] { "train", "test" })
            for (int c = 0; c < 2; c++)
            {
                var d = Path.Combine(root, split, "c" + c);
                Directory.CreateDirectory(d);
                for (int i = 0; i < perClass; i++)
                {
                    var px = new byte[8 * 8 * 3];
                    rng.NextBytes(px);
                    using var fs = File.Create(Path.Combine(d, $"{i}.png"));
                    new StbImageWriteSharp.ImageWriter().WritePng(px, 8, 8, StbImageWriteSharp.ColorComponents.RedGreenBlue, fs);
                }
            }
    }

    [SharedFact]
    public void NumbersStayInvariantUnderAGermanLocale()
    {
        // Globalization is on (ICU): a German locale really would write decimal commas.
        Assert.Equal(",", new System.Globalization.CultureInfo("de-DE").NumberFormat.NumberDecimalSeparator);
        var german = new Dictionary<string, string> { ["LANG"] = "de_DE.UTF-8", ["LC_ALL"] = "de_DE.UTF-8" };
        var r = CliRunner.RunWith(SharedData.RepoRoot, german, "score", "--model", SharedData.Path("fixtures", "tiny-llama"),
            "--input-ids", "1,5,7", "--candidate-ids", "3;4");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Matches(@"-\d+\.\d{6} ", r.Stdout);
        Assert.DoesNotMatch(@"\d,\d", r.Stdout);
    }
}
