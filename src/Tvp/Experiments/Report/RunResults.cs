using System.Text.Json;

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
    /// <exception cref="InvalidDataException">Not JSON, or not a JSON object (names the file).</exception>
    public static RunResults Read(string path)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: expected a JSON object");
            var models = Json.Array(root, "results").Select(r => new ModelRow(
                Json.String(r, "model") ?? "?", Json.String(r, "role") ?? "target",
                Json.Number(r, "top1_no_prompt"), Json.Number(r, "top1_prompt"),
                Json.Number(r, "top5_no_prompt"), Json.Number(r, "top5_prompt"),
                Json.Number(r, "n_test") is double n ? (int)n : null)).ToArray();
            var matrices = new List<MatrixView>();
            if (root.TryGetProperty("matrix", out var m))
            {
                if (m.ValueKind == JsonValueKind.Object) matrices.Add(Matrix(m));
                else if (m.ValueKind == JsonValueKind.Array) matrices.AddRange(m.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object).Select(Matrix));
            }
            matrices.AddRange(Json.Array(root, "matrices").Where(e => e.ValueKind == JsonValueKind.Object).Select(Matrix));
            TrainingSummary? training = Json.Object(root, "training") is { } t
                ? new TrainingSummary(Long(t, "steps"), Json.Number(t, "best_validation_top1"), Long(t, "best_step"), Json.Number(t, "wall_s"), Json.Number(t, "images_per_s"))
                : null;
            var extra = Json.Array(root, "extra_tables").Where(e => e.ValueKind == JsonValueKind.Object).Select(e => new ExtraTable(
                Json.String(e, "title") ?? "",
                Json.Array(e, "columns").Select(Json.Text).ToArray(),
                Json.Array(e, "rows").Select(r => (IReadOnlyList<string>)(r.ValueKind == JsonValueKind.Array ? r.EnumerateArray().Select(Json.Text).ToArray() : new[] { Json.Text(r) })).ToArray()))
                .ToArray();
            return new RunResults(models, matrices.Where(x => x.Cells.Count > 0).ToArray(), training,
                Json.Number(root, "wall_s"), Json.Number(root, "eval_images_per_s"), extra);
        }
    }

    private static long? Long(JsonElement o, string name) => Json.Number(o, name) is double d ? (long)d : null;

    private static MatrixView Matrix(JsonElement m)
    {
        var cells = Json.Array(m, "cells")
            .Where(c => Json.Number(c, "top1") is not null)
            .Select(c => new MatrixCell(Json.String(c, "prompt") ?? "?", Json.String(c, "model") ?? "?", Json.Number(c, "top1")!.Value,
                Json.Number(c, "top5"), Json.Number(c, "gain"), Json.Number(c, "n") is double n ? (int)n : null))
            .ToArray();
        // Rows and columns: as listed, then any that only the cells name; "none" first.
        var prompts = Json.Array(m, "prompts").Select(Json.Text).Concat(cells.Select(c => c.Prompt)).Distinct()
            .OrderBy(p => p == "none" ? 0 : 1).ToArray();
        var models = Json.Array(m, "models").Select(Json.Text).Concat(cells.Select(c => c.Model)).Distinct().ToArray();
        var roles = new Dictionary<string, string>();
        if (Json.Object(m, "roles") is { } r)
            foreach (var p in r.EnumerateObject()) roles[p.Name] = Json.Text(p.Value);
        return new MatrixView(Json.String(m, "title"), prompts, models, roles, cells);
    }
}
