using System.Text.Json;
using System.Text.Json.Serialization;
using Tvp.IO.Json;

namespace Tvp.Experiments.Report;

/// <summary>
/// results.json as ResultsWriter (and the demo, eval and study writers) store it, read by <see cref="RunResults.Read"/>:
/// every member optional (a partial file still makes a report); a member of the wrong type is an error naming it.
/// Strings are read with <see cref="DisplayTextConverter"/> (labels and table cells may be numbers).
/// </summary>
/// <param name="Results">results: per-model rows.</param>
/// <param name="Matrix">matrix: one transfer matrix or an array of them.</param>
/// <param name="Matrices">matrices: more transfer matrices.</param>
/// <param name="Training">training: the training summary.</param>
/// <param name="WallS">wall_s.</param>
/// <param name="EvalImagesPerS">eval_images_per_s.</param>
/// <param name="ExtraTables">extra_tables.</param>
internal sealed record RunResultsJson(
    IReadOnlyList<RunResultsJson.ModelRowJson>? Results,
    [property: JsonConverter(typeof(OneOrManyConverter<RunResultsJson.MatrixJson>))] IReadOnlyList<RunResultsJson.MatrixJson>? Matrix,
    IReadOnlyList<RunResultsJson.MatrixJson>? Matrices,
    RunResultsJson.TrainingJson? Training,
    double? WallS, double? EvalImagesPerS,
    IReadOnlyList<RunResultsJson.ExtraTableJson>? ExtraTables)
{
    /// <summary>The options results.json is read with: <see cref="ConfigJson.Options"/> plus scalar-as-text strings.</summary>
    public static JsonSerializerOptions Options => DisplayTextConverter.Options;

    /// <summary>One entry of <c>results</c>.</summary>
    /// <param name="Model">model.</param>
    /// <param name="Role">role.</param>
    /// <param name="Top1NoPrompt">top1_no_prompt.</param>
    /// <param name="Top1Prompt">top1_prompt.</param>
    /// <param name="Top5NoPrompt">top5_no_prompt.</param>
    /// <param name="Top5Prompt">top5_prompt.</param>
    /// <param name="NTest">n_test.</param>
    public sealed record ModelRowJson(string? Model, string? Role, double? Top1NoPrompt, double? Top1Prompt, double? Top5NoPrompt, double? Top5Prompt, int? NTest);

    /// <summary>A transfer matrix.</summary>
    /// <param name="Title">title.</param>
    /// <param name="Prompts">prompts (rows).</param>
    /// <param name="Models">models (columns).</param>
    /// <param name="Roles">roles: model → role.</param>
    /// <param name="Cells">cells.</param>
    public sealed record MatrixJson(string? Title, IReadOnlyList<string>? Prompts, IReadOnlyList<string>? Models,
        IReadOnlyDictionary<string, string>? Roles, IReadOnlyList<CellJson>? Cells);

    /// <summary>One cell of a transfer matrix (no top1: not evaluated).</summary>
    /// <param name="Prompt">prompt.</param>
    /// <param name="Model">model.</param>
    /// <param name="Top1">top1.</param>
    /// <param name="Top5">top5.</param>
    /// <param name="Gain">gain.</param>
    /// <param name="N">n.</param>
    public sealed record CellJson(string? Prompt, string? Model, double? Top1, double? Top5, double? Gain, int? N);

    /// <summary>The training summary.</summary>
    /// <param name="Steps">steps.</param>
    /// <param name="BestValidationTop1">best_validation_top1.</param>
    /// <param name="BestStep">best_step.</param>
    /// <param name="WallS">wall_s.</param>
    /// <param name="ImagesPerS">images_per_s.</param>
    public sealed record TrainingJson(long? Steps, double? BestValidationTop1, long? BestStep, double? WallS, double? ImagesPerS);

    /// <summary>An extra table.</summary>
    /// <param name="Title">title.</param>
    /// <param name="Columns">columns.</param>
    /// <param name="Rows">rows: each a list of cells.</param>
    public sealed record ExtraTableJson(string? Title, IReadOnlyList<string>? Columns, IReadOnlyList<IReadOnlyList<string>>? Rows);
}
