using Tvp.Evaluation;
using Tvp.Experiments.Study;
using Tvp.Models;
using Tvp.Experiments;

namespace Tvp.Demo;

/// <summary>What <c>tvp demo</c> produced.</summary>
/// <param name="RunDir">The run folder.</param>
/// <param name="Results">Corrupted test split: every model × {none, VP, TVP…} over the seeds, with intervals and paired comparisons.</param>
/// <param name="Clean">Clean test split, no prompt: every model's top-1 (how much the corruption costs).</param>
/// <param name="Source">The source model's name.</param>
/// <param name="ZooHoldoutTop1">Per zoo model: clean held-out top-1 at training time.</param>
/// <param name="GuideHoldoutZeroShot">The guide's zero-shot top-1 on held-out clean training-split images.</param>
/// <param name="Trained">What was trained in this run (empty when the zoo came from the cache).</param>
/// <param name="Timings">Seconds per phase.</param>
/// <param name="WallSeconds">Wall time of the whole demo.</param>
public sealed record DemoOutcome(string RunDir, StudyResults Results, IReadOnlyList<EvaluationResult> Clean, string Source,
    IReadOnlyDictionary<string, double> ZooHoldoutTop1, double GuideHoldoutZeroShot, IReadOnlyList<string> Trained,
    IReadOnlyList<(string Phase, double Seconds)> Timings, double WallSeconds);
