namespace Tvp.Training;

/// <summary>What training produced.</summary>
/// <param name="Steps">Steps run in total.</param>
/// <param name="BestValidationTop1">Best validation top-1 (null without a validation split).</param>
/// <param name="BestStep">Step of the kept prompt.</param>
/// <param name="WallTime">Wall time of this invocation.</param>
/// <param name="ImagesPerSecond">Training throughput of this invocation.</param>
public sealed record TrainingResult(long Steps, double? BestValidationTop1, long BestStep, TimeSpan WallTime, double ImagesPerSecond);
