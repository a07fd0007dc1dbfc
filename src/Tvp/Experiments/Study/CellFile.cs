using System.Text;
using System.Text.Json;
using Tvp.IO;

namespace Tvp.Experiments.Study;

/// <summary>One model under one test condition in a cell file: per-image correctness as "0"/"1" strings (test-index order).</summary>
/// <param name="Model">Model name.</param>
/// <param name="Role">source | target | guide.</param>
/// <param name="Corruption">Test corruption or null.</param>
/// <param name="Severity">Severity (0 when clean).</param>
/// <param name="Correct">Top-1 correctness with the prompt.</param>
/// <param name="None">Top-1 correctness without a prompt.</param>
internal sealed record CellFileOutcome(string Model, string Role, string? Corruption, int Severity, string Correct, string None);

/// <summary>
/// <c>cells/&lt;hash&gt;.json</c> in a study folder: a finished job's per-seed, per-image outcomes, so that an
/// interrupted study resumes, shards merge exactly and studies can be re-analysed without rerunning.
/// </summary>
/// <param name="Index">Job index in the plan.</param>
/// <param name="Hash">Job hash (file name).</param>
/// <param name="Source">Source model(s).</param>
/// <param name="Prompt">Prompt method.</param>
/// <param name="LambdaFca">λ_fca.</param>
/// <param name="LambdaTse">λ_tse.</param>
/// <param name="FcaFeatures">FCA site.</param>
/// <param name="Shots">Shots.</param>
/// <param name="LabelMap">Label mapping.</param>
/// <param name="Seed">Training seed.</param>
/// <param name="BestValidationTop1">Best validation top-1 of the source during training (null without validation).</param>
/// <param name="TrainSeconds">Training wall time (informational; not part of results.json).</param>
/// <param name="Options">The job's resolved options (options.json format), kept as a JsonElement on purpose: stored and passed on
/// verbatim (an opaque blob written back into the cell file and hashed), never read field by field here.</param>
/// <param name="Outcomes">Per model and condition.</param>
internal sealed record CellFile(int Index, string Hash, string Source, string Prompt, double LambdaFca, double LambdaTse, string FcaFeatures, int Shots,
    string LabelMap, int Seed, double? BestValidationTop1, double TrainSeconds, JsonElement Options, IReadOnlyList<CellFileOutcome> Outcomes)
{
    /// <summary>The folder of cell files inside a study folder.</summary>
    public static string Folder(string studyDir) => Path.Combine(studyDir, "cells");

    /// <summary>The path of a job's cell file.</summary>
    public static string PathOf(string studyDir, string hash) => Path.Combine(Folder(studyDir), hash + ".json");

    /// <summary>Per-image correctness as a "0"/"1" string.</summary>
    public static string Bits(bool[] correct)
    {
        var sb = new StringBuilder(correct.Length);
        foreach (var c in correct) sb.Append(c ? '1' : '0');
        return sb.ToString();
    }

    private static bool[] Parse(string bits, string file) => bits.Select(ch => ch switch
    {
        '1' => true,
        '0' => false,
        _ => throw new InvalidDataException($"{file}: outcome strings hold only 0 and 1"),
    }).ToArray();

    /// <summary>The outcomes as <see cref="CellOutcome"/>s.</summary>
    public IEnumerable<CellOutcome> ToOutcomes(string file) => Outcomes.Select(o => new CellOutcome(o.Model, o.Role, Source, Prompt, LambdaFca, LambdaTse,
        FcaFeatures, Shots, o.Corruption, o.Severity, LabelMap, Seed, Parse(o.Correct, file), Parse(o.None, file), BestValidationTop1));

    /// <summary>Writes the file atomically.</summary>
    public void Save(string studyDir)
    {
        Directory.CreateDirectory(Folder(studyDir));
        AtomicFile.WriteAllText(PathOf(studyDir, Hash), JsonSerializer.Serialize(this, StudySpec.JsonOptions));
    }

    /// <summary>Reads a cell file; null when it does not exist.</summary>
    public static CellFile? TryLoad(string studyDir, string hash)
    {
        var path = PathOf(studyDir, hash);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<CellFile>(File.ReadAllText(path), StudySpec.JsonOptions) ?? throw new InvalidDataException($"{path}: empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a cell file ({e.Message.Split('\n')[0]}); delete it to rerun that cell");
        }
    }
}
