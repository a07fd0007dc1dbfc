using Tvp.IO;
using Tvp.Training;

namespace Tvp.Experiments;

/// <summary>
/// A run folder: <c>options.json</c>, <c>metrics.jsonl</c>, <c>checkpoint.safetensors</c> (atomic, every N
/// steps), <c>prompt.safetensors</c> + <c>prompt.png</c>, <c>results.json/csv/md</c>, <c>report.html</c>.
/// Results appear only when the run completed; a folder without <c>results.json</c> is an unfinished run.
/// One writer at a time: an open run folder holds its <see cref="RunLock"/> (<c>run.lock</c>) until disposed.
/// </summary>
public sealed class RunFolder : IDisposable
{
    /// <summary>The folder.</summary>
    public string Path { get; }

    private RunLock? _lock;

    private RunFolder(string path) => Path = System.IO.Path.GetFullPath(path);

    /// <summary>A file inside the folder.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>options.json.</summary>
    public string OptionsPath => File("options.json");
    /// <summary>metrics.jsonl.</summary>
    public string MetricsPath => File("metrics.jsonl");
    /// <summary>checkpoint.safetensors.</summary>
    public string CheckpointPath => File("checkpoint.safetensors");
    /// <summary>The prompt of source <paramref name="i"/> (prompt.safetensors for the first).</summary>
    public string PromptPath(int i = 0) => File(i == 0 ? "prompt.safetensors" : $"prompt-{i}.safetensors");
    /// <summary>results.json.</summary>
    public string ResultsPath => File("results.json");

    /// <summary>True when the run finished (results.json exists).</summary>
    public bool Completed => System.IO.File.Exists(ResultsPath);

    /// <summary>
    /// Opens or creates a run folder and takes its writer lock before anything is written (a second run on the same
    /// folder fails at once; a stale lock of a dead process is taken over, told through <paramref name="onMessage"/>).
    /// A new run writes options.json. With <paramref name="resume"/>, the folder's own options.json is returned (the
    /// run continues with the options it started with). A completed run is never overwritten unless
    /// <paramref name="overwrite"/>. Dispose the run folder to release the lock.
    /// </summary>
    public static (RunFolder Run, TvpOptions Options) Open(string path, TvpOptions options, bool resume, bool overwrite = false,
        Action<string>? onMessage = null)
    {
        var run = new RunFolder(path);
        if (resume && !System.IO.File.Exists(run.OptionsPath))
            throw new FileNotFoundException($"{run.Path}: nothing to resume (no options.json)", run.OptionsPath);
        if (System.IO.File.Exists(run.Path))
            throw new IOException($"{run.Path} is a file, not a run folder; choose another --out");
        Directory.CreateDirectory(run.Path);
        run._lock = RunLock.Acquire(run.Path, onMessage);
        try
        {
            if (resume)
                return (run, TvpOptions.FromJson(System.IO.File.ReadAllText(run.OptionsPath)));
            if (run.Completed && !overwrite)
                throw new IOException($"{run.Path} holds a completed run (results.json); choose another --out, or pass --overwrite");
            if (System.IO.File.Exists(run.CheckpointPath) && !overwrite)
                throw new IOException($"{run.Path} holds an unfinished run (checkpoint.safetensors); pass --resume to continue it or --overwrite to start again");
            foreach (var stale in new[] { run.MetricsPath, run.CheckpointPath, run.ResultsPath })
                if (System.IO.File.Exists(stale)) System.IO.File.Delete(stale);
            AtomicFile.WriteAllText(run.OptionsPath, options.ToJson());
            return (run, options);
        }
        catch
        {
            run.Dispose();
            throw;
        }
    }

    /// <summary>Releases the run folder's writer lock.</summary>
    public void Dispose()
    {
        _lock?.Dispose();
        _lock = null;
    }

    /// <summary>A default run folder name under runs/: runs/YYYYMMDD-HHMMSS-&lt;source&gt;.</summary>
    public static string DefaultPath(string source) =>
        System.IO.Path.Combine("runs", $"{DateTime.Now:yyyyMMdd-HHmmss}-{System.IO.Path.GetFileNameWithoutExtension(source.TrimEnd('/'))}");
}
