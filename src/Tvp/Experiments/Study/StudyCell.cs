using Tvp.Data;

namespace Tvp.Experiments.Study;

/// <summary>
/// One (model, prompt, condition) of a study over its seeds. Accuracies are fractions in [0, 1]. <c>ci95</c> and
/// <c>gain_ci95</c> are 95 % Student t-intervals over seeds (null with a single seed).
/// </summary>
/// <param name="Model">Model name.</param>
/// <param name="Role">source | target | guide.</param>
/// <param name="Source">Model(s) the prompt was trained on.</param>
/// <param name="Prompt">Prompt method ("none" = no prompt).</param>
/// <param name="LambdaFca">λ_fca.</param>
/// <param name="LambdaTse">λ_tse.</param>
/// <param name="FcaFeatures">connector | encoder.</param>
/// <param name="Shots">Training images per class (0 = all).</param>
/// <param name="Corruption">Test corruption or null.</param>
/// <param name="Severity">Severity (0 when clean).</param>
/// <param name="LabelMap">Label mapping.</param>
/// <param name="Seeds">Seeds, ascending.</param>
/// <param name="Top1">Top-1 per seed.</param>
/// <param name="Top1Mean">Mean top-1 over seeds.</param>
/// <param name="Top1Std">Sample standard deviation over seeds.</param>
/// <param name="Ci95">95 % t-interval of the mean top-1.</param>
/// <param name="Gain">Gain over no prompt per seed.</param>
/// <param name="GainMean">Mean gain.</param>
/// <param name="GainCi95">95 % t-interval of the mean gain.</param>
/// <param name="NTest">Test images per seed.</param>
/// <param name="ValidationTop1Mean">Mean over seeds of the prompt's best validation top-1 on its source (null for no prompt or without validation).</param>
public sealed record StudyCell(string Model, string Role, string Source, string Prompt, double LambdaFca, double LambdaTse, string FcaFeatures,
    int Shots, string? Corruption, int Severity, string LabelMap, int[] Seeds, double[] Top1, double Top1Mean, double Top1Std, double[]? Ci95,
    double[] Gain, double GainMean, double[]? GainCi95, int NTest, double? ValidationTop1Mean = null);

/// <summary>
/// The prompt method (grid point) chosen for one source and condition on validation alone: the highest mean best
/// validation top-1 on the source (first listed wins ties); its test gains are reported beside it, never used.
/// </summary>
/// <param name="Source">Source.</param>
/// <param name="Shots">Shots.</param>
/// <param name="Corruption">Test corruption or null.</param>
/// <param name="Severity">Severity.</param>
/// <param name="LabelMap">Label mapping.</param>
/// <param name="Prompt">Chosen prompt method.</param>
/// <param name="LambdaFca">Its λ_fca.</param>
/// <param name="LambdaTse">Its λ_tse.</param>
/// <param name="ValidationTop1Mean">Its mean validation top-1.</param>
/// <param name="SourceGainMean">Its mean test gain on the source.</param>
/// <param name="TargetGainMean">Mean over targets of its mean test gain (null without targets).</param>
public sealed record StudySelection(string Source, int Shots, string? Corruption, int Severity, string LabelMap, string Prompt, double LambdaFca,
    double LambdaTse, double ValidationTop1Mean, double SourceGainMean, double? TargetGainMean);

/// <summary>
/// A paired comparison of prompt methods a and b on one model (same seeds, same test images): the difference of
/// their gains (= difference of top-1), its 95 % paired-bootstrap interval and two-sided p-value.
/// </summary>
/// <param name="Model">Model name.</param>
/// <param name="Role">Role of the model.</param>
/// <param name="Source">Source of both prompts.</param>
/// <param name="Shots">Shots.</param>
/// <param name="Corruption">Test corruption or null.</param>
/// <param name="Severity">Severity.</param>
/// <param name="LabelMap">Label mapping.</param>
/// <param name="A">Prompt a.</param>
/// <param name="B">Prompt b.</param>
/// <param name="DiffMean">Mean over seeds of top-1(a) − top-1(b).</param>
/// <param name="DiffCi95">95 % paired-bootstrap percentile interval.</param>
/// <param name="PValue">Two-sided bootstrap p-value.</param>
/// <param name="Seeds">Seeds paired.</param>
/// <param name="Resamples">Bootstrap resamples.</param>
/// <param name="Claim">"a > b on model: diff +x [lo, hi], p=…" when the interval excludes 0, else "no significant difference".</param>
/// <param name="SourceB">Source of prompt b when it differs from <paramref name="Source"/> (an ensemble prompt against a
/// single-source prompt of one of its members); null when both prompts share the source.</param>
public sealed record StudyComparison(string Model, string Role, string Source, int Shots, string? Corruption, int Severity, string LabelMap,
    string A, string B, double DiffMean, double[] DiffCi95, double PValue, int Seeds, int Resamples, string Claim, string? SourceB = null);
