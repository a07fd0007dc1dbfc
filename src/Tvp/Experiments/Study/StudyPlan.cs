using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Tvp.Training;

namespace Tvp.Experiments.Study;

/// <summary>A test condition: clean (no corruption) or one corruption at one severity.</summary>
/// <param name="Corruption">Corruption name, or null for clean images.</param>
/// <param name="Severity">Severity 1–5 (0 when clean).</param>
public readonly record struct TestCondition(string? Corruption, int Severity)
{
    /// <summary>Clean test images.</summary>
    public static TestCondition Clean => new(null, 0);

    /// <inheritdoc />
    public override string ToString() => Corruption is null ? "clean" : $"{Corruption} {Severity}";
}

/// <summary>
/// One unit of work of a study: a prompt trained with <see cref="Options"/> on <see cref="Sources"/>, then every
/// model of <see cref="Models"/> scored without and with it under each test condition. Several result cells (one
/// per model × condition) come out of one job; its outcomes are cached under <see cref="Hash"/>.
/// </summary>
/// <param name="Index">Position in the plan (shards take every n-th job; merges order by it).</param>
/// <param name="Hash">SHA-256 (hex, 16 characters) of the canonical JSON of the job's resolved options and evaluation.</param>
/// <param name="Sources">Models the prompt is trained on (more than one for an ensemble).</param>
/// <param name="Models">Scored models with their roles, sources first.</param>
/// <param name="Prompt">Display name of the prompt method (with its grid point when the method spans several).</param>
/// <param name="LabelMap">Label mapping of classifiers.</param>
/// <param name="TrainCondition">Corruption of the training images (clean unless the spec sets corrupt_train).</param>
/// <param name="Conditions">Test conditions the prompt is evaluated under.</param>
/// <param name="Options">Resolved training options (seed, λ, shots, sizes, ...).</param>
internal sealed record StudyJob(int Index, string Hash, IReadOnlyList<string> Sources, IReadOnlyList<(string Model, string Role)> Models, string Prompt,
    string LabelMap, TestCondition TrainCondition, IReadOnlyList<TestCondition> Conditions, TvpOptions Options)
{
    /// <summary>Joins the sources of an ensemble in <see cref="SourceName"/>.</summary>
    public const char EnsembleSeparator = '+';

    /// <summary>"a" or "a+b" for an ensemble (a model given by path shows as its file name without extension).</summary>
    public string SourceName => string.Join(EnsembleSeparator, Sources.Select(s =>
        s.Contains('/') || s.Contains(Path.DirectorySeparatorChar) ? Path.GetFileNameWithoutExtension(Path.TrimEndingDirectorySeparator(s)) : s));
}

/// <summary>Expands a <see cref="StudySpec"/> into its jobs (a deterministic list) and slices it into shards.</summary>
public static class StudyPlan
{
    /// <summary>Role name of the image–text guide evaluated zero-shot.</summary>
    public const string GuideRole = "guide";

    /// <summary>
    /// The jobs of <paramref name="spec"/>, in this order: label mapping × source (or ensemble) × shots × training
    /// condition × prompt method × λ_fca × λ_tse × FCA site × seed.
    /// </summary>
    internal static IReadOnlyList<StudyJob> Expand(StudySpec spec)
    {
        var conditions = Conditions(spec);
        var jobs = new List<StudyJob>();
        var groups = spec.Sources.Select(s => (IReadOnlyList<string>)new[] { s }).Concat(spec.Ensembles).ToArray();
        var everyone = spec.Sources.Concat(spec.Targets).Concat(spec.Ensembles.SelectMany(e => e)).Distinct().ToArray();
        var shots = spec.Train.Shots?.Values ?? new[] { 0 };
        var trainConditions = spec.CorruptTrain ? conditions.Select(c => (c, (IReadOnlyList<TestCondition>)new[] { c })).ToArray()
            : new[] { (TestCondition.Clean, (IReadOnlyList<TestCondition>)conditions) };
        foreach (var labelMap in spec.LabelMap.Values)
            foreach (var sources in groups)
            {
                var targets = spec.Ensembles.Contains(sources) ? everyone.Except(sources)
                    : spec.Rotate ? spec.Sources.Concat(spec.Targets).Distinct().Except(sources) : spec.Targets.Except(sources);
                var models = sources.Select(s => (s, "source")).Concat(targets.Select(t => (t, "target"))).ToList();
                if (StudyDataSources.Find(spec.Data) is { } source ? source.HasGuideModel && spec.Guide is not null : spec.Guide is not null && spec.Guide != "offline")
                    models.Add((GuideZeroShotName(spec), GuideRole));
                foreach (var k in shots)
                    foreach (var (trainCondition, testConditions) in trainConditions)
                        foreach (var p in spec.Prompts)
                            foreach (var fca in p.Fca.Values)
                                foreach (var tse in p.Tse.Values)
                                    foreach (var site in p.FcaFeatures.Values)
                                        foreach (var seed in spec.Seeds)
                                        {
                                            var o = Options(spec, sources, models, labelMap, k, trainCondition, fca, tse, site, seed);
                                            var name = PromptName(p, fca, tse, site);
                                            jobs.Add(new StudyJob(jobs.Count, Hash(spec, o, sources, models, testConditions), sources, models, name, labelMap.ToString(),
                                                trainCondition, testConditions, o));
                                        }
            }
        return jobs;
    }

    /// <summary>The name under which the guide's zero-shot reading appears.</summary>
    public static string GuideZeroShotName(StudySpec spec) =>
        spec.Guide == "offline" ? "guide-zero-shot" : Path.GetFileName(Path.TrimEndingDirectorySeparator(spec.Guide ?? "")) + "-zero-shot";

    /// <summary>Test conditions: clean when the spec has no corruption, else every (corruption, severity); "all" = every implemented corruption.</summary>
    public static IReadOnlyList<TestCondition> Conditions(StudySpec spec)
    {
        if (spec.Corruption is null) return new[] { TestCondition.Clean };
        var list = new List<TestCondition>();
        foreach (var c in spec.Corruption.Values)
            foreach (var name in c.Name == "all" ? Tvp.Data.Corruptions.Names : new[] { c.Name })
                foreach (var s in c.Severity.Values)
                    if (!list.Contains(new TestCondition(name, s))) list.Add(new TestCondition(name, s));
        return list;
    }

    private static string PromptName(PromptSpec p, double fca, double tse, FcaSite site)
    {
        var parts = new List<string>();
        if (p.Fca.Values.Count > 1) parts.Add("fca=" + fca.ToString("R", CultureInfo.InvariantCulture));
        if (p.Tse.Values.Count > 1) parts.Add("tse=" + tse.ToString("R", CultureInfo.InvariantCulture));
        if (p.FcaFeatures.Values.Count > 1) parts.Add(OptionNames.Name(site));
        return parts.Count == 0 ? p.Name : $"{p.Name}[{string.Join(",", parts)}]";
    }

    private static TvpOptions Options(StudySpec spec, IReadOnlyList<string> sources, IReadOnlyList<(string Model, string Role)> models, LabelMapChoice labelMap, int shots,
        TestCondition trainCondition, double fca, double tse, FcaSite site, int seed)
    {
        var t = spec.Train;
        var d = new TvpOptions();
        return d with
        {
            Data = spec.Data, Source = sources[0], Targets = models.Where(m => m.Role != "source" || m.Model != sources[0]).Select(m => m.Model).ToArray(),
            LabelMap = labelMap, Guide = spec.Guide, Fca = fca, Tse = tse, FcaFeatures = site, Shots = shots,
            Epochs = t.Epochs ?? d.Epochs, Lr = t.Lr ?? d.Lr, CanvasSize = t.CanvasSize ?? d.CanvasSize, ImageSize = t.ImageSize ?? d.ImageSize,
            PromptSize = t.PromptSize ?? d.PromptSize, PromptShape = t.PromptShape ?? d.PromptShape, BatchSize = t.BatchSize ?? d.BatchSize,
            EvalBatchSize = t.EvalBatchSize ?? d.EvalBatchSize, Optimizer = t.Optimizer ?? d.Optimizer, Schedule = t.Schedule ?? d.Schedule,
            TrainLimit = t.TrainLimit ?? d.TrainLimit, ValidationFraction = t.ValidationFraction ?? d.ValidationFraction,
            ValidateEvery = t.ValidateEvery ?? d.ValidateEvery, TestLimit = spec.TestLimit, Seed = seed, Device = spec.Device,
            Corruption = trainCondition.Corruption, Severity = trainCondition.Corruption is null ? d.Severity : trainCondition.Severity,
            CheckpointEvery = int.MaxValue,
        };
    }

    private static string Hash(StudySpec spec, TvpOptions o, IReadOnlyList<string> sources, IReadOnlyList<(string Model, string Role)> models, IReadOnlyList<TestCondition> conditions)
    {
        // Canonical JSON: fixed member order, invariant numbers; everything that changes a job's outcomes.
        var canonical = JsonSerializer.Serialize(new
        {
            options = JsonDocument.Parse(o.ToJson()).RootElement, // verbatim, as options.json writes it (hashed, never read field by field)
            sources,
            models = models.Select(m => new[] { m.Model, m.Role }),
            conditions = conditions.Select(c => new object?[] { c.Corruption, c.Severity }),
            corrupt_train = spec.CorruptTrain,
            data_seed = spec.DataSeed,
            label_map_images = spec.LabelMapImages,
        });
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..16];
    }

    /// <summary>The jobs of shard <paramref name="index"/> of <paramref name="count"/> (0-based): every job whose index ≡ <paramref name="index"/> mod <paramref name="count"/>.</summary>
    internal static IReadOnlyList<StudyJob> Shard(IReadOnlyList<StudyJob> jobs, int index, int count)
    {
        if (count < 1 || index < 0 || index >= count) throw new ArgumentException($"--shard {index}/{count}: expected INDEX/COUNT with 0 <= INDEX < COUNT");
        return jobs.Where(j => j.Index % count == index).ToArray();
    }
}

/// <summary>A shard given as "INDEX/COUNT" (0-based index).</summary>
/// <param name="Index">0-based shard index.</param>
/// <param name="Count">Number of shards.</param>
public readonly record struct ShardSpec(int Index, int Count)
{
    /// <summary>Parses "i/n"; throws ArgumentException naming --shard.</summary>
    public static ShardSpec Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int i)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1 || i >= n)
            throw new ArgumentException($"--shard {text}: expected INDEX/COUNT with 0 <= INDEX < COUNT (e.g. 0/4, as $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT)");
        return new ShardSpec(i, n);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Index}/{Count}";
}
