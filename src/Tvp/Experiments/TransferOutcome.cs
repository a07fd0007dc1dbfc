using Tvp.Evaluation;
using Tvp.Training;

namespace Tvp.Experiments;

/// <summary>Everything a transfer run produced.</summary>
/// <param name="RunDir">The run folder.</param>
/// <param name="Results">Per model: accuracy without and with the prompt.</param>
/// <param name="Matrix">The transfer matrix.</param>
/// <param name="Training">Training summary (null when evaluation only).</param>
/// <param name="WallTime">Wall time of the whole run.</param>
/// <param name="EvalImagesPerSecond">Evaluation throughput (images × models × prompts per second).</param>
public sealed record TransferOutcome(string RunDir, IReadOnlyList<ModelResult> Results, TransferMatrix Matrix, TrainingResult? Training, TimeSpan WallTime, double EvalImagesPerSecond);
