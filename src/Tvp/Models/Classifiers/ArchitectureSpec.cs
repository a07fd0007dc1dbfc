namespace Tvp.Models.Classifiers;

/// <summary>The architecture part of a model card: which network to build and its hyperparameters.</summary>
internal abstract record ArchitectureSpec
{
    /// <summary>Short architecture name used in messages and registry descriptions.</summary>
    public abstract string Kind { get; }
}

/// <summary>CIFAR ResNet (akamaster): n blocks per stage, 3 stages.</summary>
/// <param name="Depth">6n + 2.</param>
/// <param name="BlocksPerStage">n.</param>
/// <param name="StageChannels">Width of each stage (16, 32, 64).</param>
/// <param name="StageStrides">Stride of each stage's first block (1, 2, 2).</param>
internal sealed record CifarResNetSpec(int Depth, int BlocksPerStage, IReadOnlyList<int> StageChannels, IReadOnlyList<int> StageStrides) : ArchitectureSpec
{
    public override string Kind => $"CIFAR ResNet-{Depth}";
}

/// <summary>MobileNetV1 with width multiplier α.</summary>
internal sealed record MobileNetV1Spec(double WidthMultiplier) : ArchitectureSpec
{
    public override string Kind => $"MobileNetV1 α={WidthMultiplier.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
}

/// <summary>MobileNetV2 with width multiplier α and its (t, c, n, s) inverted-residual table.</summary>
internal sealed record MobileNetV2Spec(double WidthMultiplier, IReadOnlyList<(int T, int C, int N, int S)> InvertedResidualSetting) : ArchitectureSpec
{
    public override string Kind => $"MobileNetV2 α={WidthMultiplier.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
}
