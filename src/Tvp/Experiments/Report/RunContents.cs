namespace Tvp.Experiments.Report;

/// <summary>A prompt file of the run folder and its name in the report.</summary>
internal sealed record PromptEntry(string Path, string Stem);

/// <summary>A metrics log of the run folder and its name in the report.</summary>
internal sealed record MetricsEntry(MetricsLog Log, string Stem);

/// <summary>
/// What a run folder holds, read leniently: options.json, metrics*.jsonl, results.json and prompt*.safetensors.
/// Anything missing is null or empty; a folder with neither options.json nor results.json is not a run folder.
/// </summary>
internal sealed class RunContents
{
    /// <summary>The folder (full path).</summary>
    public string Dir { get; }
    /// <summary>options.json (null when missing).</summary>
    public RunOptionsView? Options { get; }
    /// <summary>results.json (null for an unfinished run).</summary>
    public RunResults? Results { get; }
    /// <summary>metrics.jsonl, then metrics-N.jsonl (several sources).</summary>
    public IReadOnlyList<MetricsEntry> Metrics { get; }
    /// <summary>prompt.safetensors, then prompt-N.safetensors (several sources).</summary>
    public IReadOnlyList<PromptEntry> Prompts { get; }

    private RunContents(string dir, RunOptionsView? options, RunResults? results, IReadOnlyList<MetricsEntry> metrics, IReadOnlyList<PromptEntry> prompts)
    {
        Dir = dir;
        Options = options;
        Results = results;
        Metrics = metrics;
        Prompts = prompts;
    }

    /// <summary>The folder's name.</summary>
    public string Name => System.IO.Path.GetFileName(Dir.TrimEnd(System.IO.Path.DirectorySeparatorChar));

    /// <summary>Reads a run folder.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">Not a run folder, or options.json/results.json are not valid JSON (names the file).</exception>
    public static RunContents Read(string runDir)
    {
        var dir = System.IO.Path.GetFullPath(runDir);
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"{dir}: run folder not found");
        var optionsPath = System.IO.Path.Combine(dir, "options.json");
        var resultsPath = System.IO.Path.Combine(dir, "results.json");
        bool hasOptions = File.Exists(optionsPath), hasResults = File.Exists(resultsPath);
        if (!hasOptions && !hasResults)
            throw new InvalidDataException($"{dir}: not a run folder (it has neither options.json nor results.json)");
        var options = hasOptions ? RunOptionsView.Read(optionsPath) : null;
        var results = hasResults ? RunResults.Read(resultsPath) : null;
        var metrics = Numbered(dir, "metrics", ".jsonl")
            .Select(p => new MetricsEntry(MetricsLog.Read(p.Path), p.Stem))
            .Where(m => !m.Log.IsEmpty).ToArray();
        var prompts = Numbered(dir, "prompt", ".safetensors").Select(p => new PromptEntry(p.Path, p.Stem)).ToArray();
        return new RunContents(dir, options, results, metrics, prompts);
    }

    /// <summary>
    /// <c>{name}{ext}</c> first, then <c>{name}-{suffix}{ext}</c> in natural order (numbers by value).
    /// </summary>
    private static IEnumerable<(string Path, string Stem)> Numbered(string dir, string name, string ext) =>
        Directory.EnumerateFiles(dir, name + "*" + ext)
            .Select(p => (Path: p, Stem: System.IO.Path.GetFileNameWithoutExtension(p)))
            .Where(p => p.Stem == name || p.Stem.StartsWith(name + "-", StringComparison.Ordinal))
            .OrderBy(p => p.Stem == name ? 0 : 1)
            .ThenBy(p => int.TryParse(p.Stem.AsSpan(name.Length + Math.Min(1, p.Stem.Length - name.Length)), out var n) ? n : int.MaxValue)
            .ThenBy(p => p.Stem, StringComparer.Ordinal);
}
