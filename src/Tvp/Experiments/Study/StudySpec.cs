using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Tvp.Data;
using Tvp.Training;

namespace Tvp.Experiments.Study;

/// <summary>A test-time corruption (or several severities of it). <c>"name": "all"</c> means every implemented corruption.</summary>
public sealed record CorruptionSpec
{
    /// <summary>Corruption name (<c>tvp</c>'s ImageNet-C style names) or "all".</summary>
    public string Name { get; init; } = "";
    /// <summary>Severity 1–5, or a list of severities.</summary>
    public OneOrMany<int> Severity { get; init; } = new(3);
}

/// <summary>One prompt method of a study. λ values and FCA feature sites may be lists (grid axes).</summary>
public sealed record PromptSpec
{
    /// <summary>Method name (vp, fca, tse, tvp, ...); grid points get their λ appended when a list has several values.</summary>
    public string Name { get; init; } = "";
    /// <summary>λ_fca (one or a list).</summary>
    public OneOrMany<double> Fca { get; init; } = new(0.0);
    /// <summary>λ_tse (one or a list).</summary>
    public OneOrMany<double> Tse { get; init; } = new(0.0);
    /// <summary>connector | encoder (one or a list).</summary>
    public OneOrMany<FcaSite> FcaFeatures { get; init; } = new(FcaSite.Connector);
}

/// <summary>Training settings of every cell (unset keys keep tvp's defaults, see <c>tvp train --help</c>).</summary>
public sealed record TrainSpec
{
    /// <summary>Training images per class (one or a list: an axis; 0 = all).</summary>
    public OneOrMany<int>? Shots { get; init; }
    /// <summary>Epochs.</summary>
    public int? Epochs { get; init; }
    /// <summary>Learning rate.</summary>
    public double? Lr { get; init; }
    /// <summary>Canvas size.</summary>
    public int? CanvasSize { get; init; }
    /// <summary>Inner image size.</summary>
    public int? ImageSize { get; init; }
    /// <summary>Prompt size.</summary>
    public int? PromptSize { get; init; }
    /// <summary>Prompt shape.</summary>
    public Prompts.PromptShape? PromptShape { get; init; }
    /// <summary>Training batch size.</summary>
    public int? BatchSize { get; init; }
    /// <summary>Evaluation batch size.</summary>
    public int? EvalBatchSize { get; init; }
    /// <summary>normalized | sgd | adam.</summary>
    public PromptOptimizer? Optimizer { get; init; }
    /// <summary>cosine | constant.</summary>
    public ScheduleKind? Schedule { get; init; }
    /// <summary>At most this many training images (0 = all).</summary>
    public int? TrainLimit { get; init; }
    /// <summary>Fraction held out for validation.</summary>
    public double? ValidationFraction { get; init; }
    /// <summary>Validate every N steps (and at each epoch end).</summary>
    public int? ValidateEvery { get; init; }
}

/// <summary>
/// A study: a grid of cells — source × prompt method × λ values × FCA feature site × shots × label mapping ×
/// test corruption × severity × seed. Read from JSON with snake_case keys; unknown keys are refused.
/// </summary>
public sealed record StudySpec
{
    /// <summary>Study name (folder name and results' <c>study</c>).</summary>
    public string Name { get; init; } = "";
    /// <summary>What the study measures and how long its default size takes (free text, shown in reports).</summary>
    public string? Description { get; init; }
    /// <summary>Dataset: a folder (ImageFolder train/ test/; relative paths: see <see cref="Load"/>) or "fashion-mnist" (the demo's data and zoo).</summary>
    public string Data { get; init; } = "";
    /// <summary>Test corruption(s): one object or a list.</summary>
    public OneOrMany<CorruptionSpec>? Corruption { get; init; }
    /// <summary>Apply the corruption to the prompt's training images too (default false: train on clean images, as <c>tvp transfer</c>).</summary>
    public bool CorruptTrain { get; init; }
    /// <summary>Source models; each trains its own prompts.</summary>
    public IReadOnlyList<string> Sources { get; init; } = Array.Empty<string>();
    /// <summary>Target models (evaluated, never trained on).</summary>
    public IReadOnlyList<string> Targets { get; init; } = Array.Empty<string>();
    /// <summary>Each source in turn also becomes a target of the other sources' prompts.</summary>
    public bool Rotate { get; init; }
    /// <summary>Multi-source prompts: each entry a list of models trained at once (losses summed); evaluated on the remaining models.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Ensembles { get; init; } = Array.Empty<IReadOnlyList<string>>();
    /// <summary>Image–text guide for TSE (also evaluated zero-shot as role "guide").</summary>
    public string? Guide { get; init; }
    /// <summary>Label mapping: identity | frequency | iterative | a mapping file (one or a list: an axis).</summary>
    public OneOrMany<LabelMapChoice> LabelMap { get; init; } = new(LabelMapChoice.Identity);
    /// <summary>Training images used for frequency label mapping (computed once per model and mapping, with the data seed).</summary>
    public int LabelMapImages { get; init; } = 1000;
    /// <summary>Prompt methods.</summary>
    public IReadOnlyList<PromptSpec> Prompts { get; init; } = Array.Empty<PromptSpec>();
    /// <summary>Training settings.</summary>
    public TrainSpec Train { get; init; } = new();
    /// <summary>At most this many test images (0 = all); the same images for every seed.</summary>
    public int TestLimit { get; init; }
    /// <summary>Training seeds.</summary>
    public IReadOnlyList<int> Seeds { get; init; } = new[] { 1 };
    /// <summary>Seed of the test-image sample, the corruption noise and the label-mapping images (fixed across training seeds, so seeds are paired on the same test images).</summary>
    public int DataSeed { get; init; }
    /// <summary>Device (cpu, cuda).</summary>
    public string Device { get; init; } = "cpu";
    /// <summary>Bootstrap resamples of the paired comparisons.</summary>
    public int Resamples { get; init; } = Evaluation.Statistics.PairedBootstrap.DefaultResamples;
    /// <summary>Keys merged over this spec by <c>--full</c> (the larger version).</summary>
    public JsonObject? Full { get; init; }

    /// <summary>The folder relative paths were resolved against (set by <see cref="Load"/>).</summary>
    [JsonIgnore] public string? Folder { get; init; }

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
    };

    /// <summary>Names of the built-in studies (embedded specs).</summary>
    public static IReadOnlyList<string> BuiltIns { get; } = typeof(StudySpec).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith("Tvp.Studies.", StringComparison.Ordinal) && n.EndsWith(".json", StringComparison.Ordinal))
        .Select(n => n["Tvp.Studies.".Length..^".json".Length]).Order(StringComparer.Ordinal).ToArray();

    /// <summary>
    /// Reads a spec file, or a built-in study by name. With <paramref name="full"/> the spec's <c>full</c> object is
    /// merged over it first. A relative <c>data</c> path is resolved against the spec file's folder when it exists
    /// there, else against the current directory (the spec's folder wins; built-ins use the current directory).
    /// </summary>
    public static StudySpec Load(string fileOrName, bool full = false, string? overrides = null)
    {
        string json, label;
        string? folder = null;
        if (File.Exists(fileOrName))
        {
            json = File.ReadAllText(fileOrName);
            label = fileOrName;
            folder = Path.GetDirectoryName(Path.GetFullPath(fileOrName));
        }
        else if (BuiltIns.Contains(fileOrName))
        {
            using var s = typeof(StudySpec).Assembly.GetManifestResourceStream($"Tvp.Studies.{fileOrName}.json")!;
            json = new StreamReader(s).ReadToEnd();
            label = $"built-in study {fileOrName}";
        }
        else throw new FileNotFoundException($"study {fileOrName}: no such spec file and not a built-in study ({string.Join(", ", BuiltIns)})");
        var spec = Parse(json, label, full, overrides) with { Folder = folder };
        return spec.ResolveData();
    }

    /// <summary>
    /// Parses spec JSON (<paramref name="label"/> names it in errors). With <paramref name="full"/> the spec's
    /// <c>full</c> object is merged over it; then <paramref name="overrides"/> (a JSON object, e.g.
    /// <c>{"seeds": [1], "test_limit": 50}</c>) is merged over the result. Objects merge key by key; other values replace.
    /// </summary>
    public static StudySpec Parse(string json, string label, bool full = false, string? overrides = null)
    {
        StudySpec spec;
        try
        {
            // A DOM only to merge `full` and --override key by key (schema-free); the result is bound to the typed record below.
            var node = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })
                as JsonObject ?? throw new InvalidDataException($"{label}: a study spec is a JSON object");
            if (full && node["full"] is JsonObject extra) MergeInto(node, extra);
            if (overrides is not null)
            {
                JsonObject over;
                try { over = JsonNode.Parse(overrides) as JsonObject ?? throw new InvalidDataException($"--override: expected a JSON object, got {overrides}"); }
                catch (JsonException e) { throw new InvalidDataException($"--override: not JSON ({e.Message.Split('\n')[0]})"); }
                MergeInto(node, over);
            }
            spec = node.Deserialize<StudySpec>(JsonOptions) ?? throw new InvalidDataException($"{label}: empty spec");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{label}: {Describe(e)}");
        }
        spec.Validate(label);
        return spec;
    }

    private static void MergeInto(JsonObject target, JsonObject extra)
    {
        foreach (var (k, v) in extra.ToArray())
            if (v is JsonObject o && target[k] is JsonObject t && k != "full") MergeInto(t, o);
            else target[k] = v?.DeepClone();
    }

    private static string Describe(JsonException e)
    {
        // System.Text.Json names the unknown member in its message; keep that line and the JSON path, drop the rest.
        var msg = e.Message.Split('\n')[0].Trim();
        if (msg.Contains("could not be mapped", StringComparison.Ordinal))
        {
            int a = msg.IndexOf('\''), b = a >= 0 ? msg.IndexOf('\'', a + 1) : -1;
            var key = a >= 0 && b > a ? msg[(a + 1)..b] : "?";
            return $"unknown key '{key}'{(e.Path is { Length: > 0 } p && p != "$." + key ? $" at {p}" : "")}";
        }
        return msg + (e.Path is { Length: > 0 } path && !msg.Contains(path, StringComparison.Ordinal) ? $" (at {path})" : "");
    }

    private StudySpec ResolveData()
    {
        if (StudyDataSources.Find(Data) is not null || Path.IsPathRooted(Data) || Folder is null) return this;
        var beside = Path.GetFullPath(Path.Combine(Folder, Data));
        return Directory.Exists(beside) ? this with { Data = beside } : this with { Data = Path.GetFullPath(Data) };
    }

    /// <summary>Checks required keys and ranges; throws InvalidDataException naming the key.</summary>
    public void Validate(string label)
    {
        if (string.IsNullOrWhiteSpace(Name)) throw new InvalidDataException($"{label}: 'name' is required");
        if (Name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0) throw new InvalidDataException($"{label}: 'name' {Name} is not a valid folder name");
        if (string.IsNullOrWhiteSpace(Data)) throw new InvalidDataException($"{label}: 'data' is required (a folder with train/ and test/{(StudyDataSources.Names.Count > 0 ? ", or one of: " + string.Join(", ", StudyDataSources.Names) : "")})");
        if (Sources.Count == 0 && Ensembles.Count == 0) throw new InvalidDataException($"{label}: 'sources' (or 'ensembles') must name at least one model");
        if (Prompts.Count == 0) throw new InvalidDataException($"{label}: 'prompts' must list at least one prompt method");
        var names = new HashSet<string>();
        foreach (var p in Prompts)
        {
            if (string.IsNullOrWhiteSpace(p.Name)) throw new InvalidDataException($"{label}: every entry of 'prompts' needs a 'name'");
            if (p.Name == StudyResults.NoPrompt) throw new InvalidDataException($"{label}: prompt name '{StudyResults.NoPrompt}' is reserved for no prompt");
            if (!names.Add(p.Name)) throw new InvalidDataException($"{label}: prompt name '{p.Name}' appears twice in 'prompts'");
            if (p.Fca.Values.Any(v => v < 0) || p.Tse.Values.Any(v => v < 0)) throw new InvalidDataException($"{label}: prompts.{p.Name}: 'fca' and 'tse' must be >= 0");
        }
        if (Seeds.Count == 0) throw new InvalidDataException($"{label}: 'seeds' must list at least one seed");
        if (Seeds.Distinct().Count() != Seeds.Count) throw new InvalidDataException($"{label}: 'seeds' has duplicates");
        if (TestLimit < 0) throw new InvalidDataException($"{label}: 'test_limit' must be >= 0");
        if (LabelMapImages <= 0) throw new InvalidDataException($"{label}: 'label_map_images' must be positive");
        if (Resamples < 100) throw new InvalidDataException($"{label}: 'resamples' must be >= 100");
        foreach (var c in Corruption?.Values ?? Array.Empty<CorruptionSpec>())
        {
            if (c.Name != "all" && !KnownCorruptions.Contains(c.Name))
                throw new InvalidDataException($"{label}: corruption '{c.Name}' is not implemented ({string.Join(", ", KnownCorruptions)}, or all)");
            if (c.Severity.Values.Any(s => s is < 1 or > 5)) throw new InvalidDataException($"{label}: corruption {c.Name}: 'severity' must be 1..5");
        }
        foreach (var e in Ensembles)
            if (e.Count < 2) throw new InvalidDataException($"{label}: each entry of 'ensembles' lists at least two models");
        // Every cell's resolved options pass the one options check (the same as the CLI's).
        foreach (var job in StudyPlan.Expand(this))
            try { job.Options.Validate(); }
            catch (ArgumentException e) { throw new InvalidDataException($"{label}: job {job.Prompt} on {job.SourceName}: {e.Message}"); }
    }

    private static IReadOnlyList<string> KnownCorruptions => Tvp.Data.Corruptions.Names;

    /// <summary>The spec as JSON (what a study folder stores as spec.json).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);
}
