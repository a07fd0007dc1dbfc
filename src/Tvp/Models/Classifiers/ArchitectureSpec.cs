namespace Tvp.Models.Classifiers;

/// <summary>The architecture part of a model card: which network to build and its hyperparameters.</summary>
internal abstract record ArchitectureSpec
{
    /// <summary>Short architecture name used in messages and registry descriptions.</summary>
    public abstract string Kind { get; }

    /// <summary>
    /// Range-checks every hyperparameter against <paramref name="limits"/> (positive sizes, strides, the implied
    /// parameter count and the largest activation at <paramref name="inputSize"/>) before anything is built; errors
    /// name <paramref name="card"/> and the field.
    /// </summary>
    public abstract void Validate(string card, int inputSize, int numClasses, IO.Limits limits);

    /// <summary>Requires a stride in 1..8.</summary>
    protected static void Stride(string card, string field, int s)
    {
        if (s is < 1 or > 8) throw new InvalidDataException($"{card}: '{field}' must be a stride in 1..8, got {s}");
    }

    /// <summary>Requires a finite width multiplier in (0, 16].</summary>
    protected static void Multiplier(string card, double alpha) =>
        IO.Limits.FiniteAbove(card, "architecture.width_multiplier", alpha, 0, 16);
}

/// <summary>CIFAR ResNet (akamaster): n blocks per stage, 3 stages.</summary>
/// <param name="Depth">6n + 2.</param>
/// <param name="BlocksPerStage">n.</param>
/// <param name="StageChannels">Width of each stage (16, 32, 64).</param>
/// <param name="StageStrides">Stride of each stage's first block (1, 2, 2).</param>
internal sealed record CifarResNetSpec(int Depth, int BlocksPerStage, IReadOnlyList<int> StageChannels, IReadOnlyList<int> StageStrides) : ArchitectureSpec
{
    public override string Kind => $"CIFAR ResNet-{Depth}";

    /// <inheritdoc/>
    public override void Validate(string card, int inputSize, int numClasses, IO.Limits limits)
    {
        int n = IO.Limits.Positive(card, "architecture.blocks_per_stage", BlocksPerStage, limits.MaxLayers);
        if (Depth != 6 * n + 2) throw new InvalidDataException($"{card}: 'architecture.depth' {Depth} is not 6 × blocks_per_stage + 2 = {6 * n + 2}");
        if (StageChannels.Count != 3) throw new InvalidDataException($"{card}: 'architecture.stage_channels' must hold 3 widths, got {StageChannels.Count}");
        if (StageStrides.Count != 3) throw new InvalidDataException($"{card}: 'architecture.stage_strides' must hold 3 strides, got {StageStrides.Count}");
        double parameters = 3 * 9 * StageChannels[0] + (double)numClasses * StageChannels[^1];
        for (int i = 0; i < 3; i++)
        {
            int c = IO.Limits.Positive(card, $"architecture.stage_channels[{i}]", StageChannels[i], limits.MaxWidth);
            Stride(card, $"architecture.stage_strides[{i}]", StageStrides[i]);
            parameters += 2.0 * n * 9 * c * c;
        }
        limits.CheckParameters(card, parameters);
        limits.CheckActivation(card, "the first stage's activation", (double)inputSize * inputSize * StageChannels.Max());
    }
}

/// <summary>MobileNetV1 with width multiplier α.</summary>
internal sealed record MobileNetV1Spec(double WidthMultiplier) : ArchitectureSpec
{
    public override string Kind => $"MobileNetV1 α={WidthMultiplier.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <inheritdoc/>
    public override void Validate(string card, int inputSize, int numClasses, IO.Limits limits)
    {
        Multiplier(card, WidthMultiplier);
        double widest = 1024 * WidthMultiplier;
        limits.CheckParameters(card, 4.3e6 * WidthMultiplier * WidthMultiplier + widest * numClasses);
        limits.CheckActivation(card, "the stem's activation", (double)inputSize * inputSize / 4 * 32 * WidthMultiplier);
    }
}

/// <summary>MobileNetV2 with width multiplier α and its (t, c, n, s) inverted-residual table.</summary>
internal sealed record MobileNetV2Spec(double WidthMultiplier, IReadOnlyList<(int T, int C, int N, int S)> InvertedResidualSetting) : ArchitectureSpec
{
    public override string Kind => $"MobileNetV2 α={WidthMultiplier.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <inheritdoc/>
    public override void Validate(string card, int inputSize, int numClasses, IO.Limits limits)
    {
        Multiplier(card, WidthMultiplier);
        if (InvertedResidualSetting.Count == 0) throw new InvalidDataException($"{card}: 'architecture.inverted_residual_setting_t_c_n_s' is empty");
        double parameters = 0, blocks = 0, widest = 32;
        long side = inputSize;
        double previous = 32 * WidthMultiplier;
        for (int i = 0; i < InvertedResidualSetting.Count; i++)
        {
            var (t, c, n, st) = InvertedResidualSetting[i];
            string row = $"architecture.inverted_residual_setting_t_c_n_s[{i}]";
            IO.Limits.Positive(card, row + ".t", t, 64);
            IO.Limits.Positive(card, row + ".c", c, limits.MaxWidth);
            IO.Limits.Positive(card, row + ".n", n, limits.MaxLayers);
            Stride(card, row + ".s", st);
            blocks += n;
            double width = c * WidthMultiplier;
            parameters += n * (previous * t * Math.Max(previous, width) * 2 + 9.0 * previous * t);
            widest = Math.Max(widest, previous * t);
            previous = width;
        }
        if (blocks > limits.MaxLayers) throw new InvalidDataException($"{card}: {blocks} inverted-residual blocks, above the limit of {limits.MaxLayers} layers");
        limits.CheckParameters(card, parameters + 1280.0 * Math.Max(1, WidthMultiplier) * numClasses);
        limits.CheckActivation(card, "the widest expanded activation", (double)side * side / 4 * widest);
    }
}
