using System.Text.Json;
using Tvp.IO.Json;

namespace Tvp.Experiments.Report;

/// <summary>One row of results.json's <c>results</c>: a model without and with the prompt.</summary>
internal sealed record ModelRow(string Model, string Role, double? Top1NoPrompt, double? Top1Prompt, double? Top5NoPrompt, double? Top5Prompt, int? NTest);

/// <summary>One cell of a transfer matrix.</summary>
internal sealed record MatrixCell(string Prompt, string Model, double Top1, double? Top5, double? Gain, int? N);

/// <summary>A transfer matrix as stored in results.json: rows are prompts ("none" first), columns are models.</summary>
internal sealed record MatrixView(string? Title, IReadOnlyList<string> Prompts, IReadOnlyList<string> Models, IReadOnlyDictionary<string, string> Roles, IReadOnlyList<MatrixCell> Cells)
{
    /// <summary>The cell, or null.</summary>
    public MatrixCell? Cell(string prompt, string model) => Cells.FirstOrDefault(c => c.Prompt == prompt && c.Model == model);

    /// <summary>The role of a model (target when not stated).</summary>
    public string Role(string model) => Roles.TryGetValue(model, out var r) ? r : "target";
}

/// <summary>results.json's <c>training</c> summary.</summary>
internal sealed record TrainingSummary(long? Steps, double? BestValidationTop1, long? BestStep, double? WallSeconds, double? ImagesPerSecond);

/// <summary>An extra table of results.json (<c>extra_tables: [{title, columns, rows}]</c>).</summary>
internal sealed record ExtraTable(string Title, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<string>> Rows);

/// <summary>
/// What results.json holds (ResultsWriter's layout): per-model results, one or more transfer matrices
/// (<c>matrix</c> as an object or an array, and/or <c>matrices</c>), the training summary, timings and optional
/// <c>extra_tables</c>. Missing members are simply absent.
/// </summary>
internal sealed record RunResults(IReadOnlyList<ModelRow> Models, IReadOnlyList<MatrixView> Matrices, TrainingSummary? Training,
    double? WallSeconds, double? EvalImagesPerSecond, IReadOnlyList<ExtraTable> ExtraTables)
{
    /// <summary>Reads results.json.</summary>
    /// <exception cref="InvalidDataException">Not JSON, not a JSON object, or a member of the wrong type (names the file and the member).</exception>
    public static RunResults Read(string path)
    {
        var j = ReadJson(path);
        var models = (j.Results ?? []).Select(r => new ModelRow(r.Model ?? "?", r.Role ?? "target",
            r.Top1NoPrompt, r.Top1Prompt, r.Top5NoPrompt, r.Top5Prompt, r.NTest)).ToArray();
        var matrices = (j.Matrix ?? []).Concat(j.Matrices ?? []).Select(Matrix).Where(x => x.Cells.Count > 0).ToArray();
        var training = j.Training is { } t ? new TrainingSummary(t.Steps, t.BestValidationTop1, t.BestStep, t.WallS, t.ImagesPerS) : null;
        var extra = (j.ExtraTables ?? []).Select(e => new ExtraTable(e.Title ?? "", Texts(e.Columns),
            (e.Rows ?? []).Select(r => (IReadOnlyList<string>)Texts(r)).ToArray())).ToArray();
        return new RunResults(models, matrices, training, j.WallS, j.EvalImagesPerS, extra);
    }

    /// <summary>Display texts of a list (a null item as "", as a missing list is empty).</summary>
    private static string[] Texts(IReadOnlyList<string>? items) => (items ?? []).Select(x => x ?? "").ToArray();

    /// <summary>Reads results.json as written (no defaults applied).</summary>
    /// <exception cref="InvalidDataException">Not JSON, not a JSON object, or a member of the wrong type (names the file and the member).</exception>
    public static RunResultsJson ReadJson(string path)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e); }
        using (doc) return ConfigJson.Bind<RunResultsJson>(doc.RootElement, path, RunResultsJson.Options);
    }

    private static MatrixView Matrix(RunResultsJson.MatrixJson m)
    {
        var cells = (m.Cells ?? [])
            .Where(c => c.Top1 is not null)
            .Select(c => new MatrixCell(c.Prompt ?? "?", c.Model ?? "?", c.Top1!.Value, c.Top5, c.Gain, c.N))
            .ToArray();
        // Rows and columns: as listed, then any that only the cells name; "none" first.
        var prompts = Texts(m.Prompts).Concat(cells.Select(c => c.Prompt)).Distinct()
            .OrderBy(p => p == "none" ? 0 : 1).ToArray();
        var models = Texts(m.Models).Concat(cells.Select(c => c.Model)).Distinct().ToArray();
        var roles = (m.Roles ?? new Dictionary<string, string>()).ToDictionary(r => r.Key, r => r.Value ?? "");
        return new MatrixView(m.Title, prompts, models, roles, cells);
    }
}
