namespace Tvp.Experiments.Study;

/// <summary>
/// What one model scored under one study cell and one seed: the per-test-image top-1 correctness with the prompt
/// and without (same test images, in test-index order). The unit that studies store, merge and re-analyse.
/// </summary>
/// <param name="Model">Model name.</param>
/// <param name="Role">source | target | guide.</param>
/// <param name="Source">Model(s) the prompt was trained on ("a+b" for an ensemble).</param>
/// <param name="Prompt">Prompt method name (unique per λ setting within a study).</param>
/// <param name="LambdaFca">λ_fca of the prompt.</param>
/// <param name="LambdaTse">λ_tse of the prompt.</param>
/// <param name="FcaFeatures">connector | encoder.</param>
/// <param name="Shots">Training images per class (0 = all).</param>
/// <param name="Corruption">Test corruption, or null for clean images.</param>
/// <param name="Severity">Corruption severity (0 when clean).</param>
/// <param name="LabelMap">Label mapping of classifiers (identity, frequency, iterative, a file).</param>
/// <param name="Seed">Training seed.</param>
/// <param name="Correct">Top-1 correctness per test image with the prompt.</param>
/// <param name="NoneCorrect">Top-1 correctness per test image without a prompt (same images).</param>
/// <param name="ValidationTop1">Best validation top-1 of the prompt on its source during training (selection uses only this), or null.</param>
public sealed record CellOutcome(string Model, string Role, string Source, string Prompt, double LambdaFca, double LambdaTse, string FcaFeatures,
    int Shots, string? Corruption, int Severity, string LabelMap, int Seed, bool[] Correct, bool[] NoneCorrect, double? ValidationTop1 = null)
{
    /// <summary>The cell this outcome belongs to (everything but the seed and the outcomes).</summary>
    internal CellGroupKey Group => new(Model, Role, Source, Prompt, LambdaFca, LambdaTse, FcaFeatures, Shots, Corruption, Severity, LabelMap);

    /// <summary>The comparison set: same model, source, data condition and label mapping (prompts differ).</summary>
    internal ComparisonKey Pairing => new(Model, Role, Source, Shots, Corruption, Severity, LabelMap);
}

/// <summary>Identity of a results cell (all seeds together).</summary>
internal readonly record struct CellGroupKey(string Model, string Role, string Source, string Prompt, double LambdaFca, double LambdaTse, string FcaFeatures,
    int Shots, string? Corruption, int Severity, string LabelMap);

/// <summary>Cells whose prompts are compared pairwise.</summary>
internal readonly record struct ComparisonKey(string Model, string Role, string Source, int Shots, string? Corruption, int Severity, string LabelMap);
