using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tvp.Training;

/// <summary>
/// One line of metrics.jsonl, as the prompt trainer writes it and the report reads it. Three kinds, told apart by
/// which members are present (absent members are not written): a logged step {step, epoch, loss, task, fca, tse, lr,
/// images_per_s, elapsed_s}, a validation {step, val_top1, best}, a skipped batch {step, skipped, skipped_total}.
/// </summary>
/// <param name="Step">step (1-based).</param>
/// <param name="Epoch">epoch (1-based).</param>
/// <param name="Loss">loss: the total objective.</param>
/// <param name="Task">task: the task (cross-entropy) term.</param>
/// <param name="Fca">fca: the weighted feature-consistency term.</param>
/// <param name="Tse">tse: the weighted task-semantics term.</param>
/// <param name="Lr">lr: the learning rate of the step.</param>
/// <param name="ImagesPerS">images_per_s: training throughput so far.</param>
/// <param name="ElapsedS">elapsed_s: seconds since training started.</param>
/// <param name="ValTop1">val_top1: validation top-1 accuracy.</param>
/// <param name="Best">best: whether the validation improved on the best so far.</param>
/// <param name="Skipped">skipped: the batch was skipped (non-finite loss).</param>
/// <param name="SkippedTotal">skipped_total: batches skipped so far.</param>
internal sealed record MetricsLine(
    long? Step, int? Epoch = null, double? Loss = null, double? Task = null, double? Fca = null, double? Tse = null, double? Lr = null,
    double? ImagesPerS = null, double? ElapsedS = null, double? ValTop1 = null, bool? Best = null, bool? Skipped = null, long? SkippedTotal = null)
{
    /// <summary>The serializer options of metrics.jsonl: snake_case, absent members not written, numbers strict.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new(IO.Json.ConfigJson.Options)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The line as JSON (no newline).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Parses one line; a line that is not a metrics object (cut short by a crash, wrong types) throws <see cref="JsonException"/>.</summary>
    public static MetricsLine Parse(string line) =>
        JsonSerializer.Deserialize<MetricsLine>(line, JsonOptions) ?? throw new JsonException("null metrics line");
}
