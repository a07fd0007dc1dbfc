namespace Tvp.Training;

/// <summary>
/// What <see cref="PromptTrainer"/> uses, and nothing else (no data, models or label mapping): the objective's
/// weights, the update rule and schedule, sizes of the loop, and its validation/checkpoint/log cadence. A run's
/// <see cref="TvpOptions"/> projects it as <c>TvpOptions.Trainer</c>.
/// </summary>
public sealed record TrainerOptions
{
    /// <summary>Learning rate (10 for the normalised-gradient step).</summary>
    public double Lr { get; init; } = 10;
    /// <summary>λ_fca.</summary>
    public double Fca { get; init; } = 0.005;
    /// <summary>λ_tse.</summary>
    public double Tse { get; init; } = 0.001;
    /// <summary>Which features FCA compares.</summary>
    public FcaSite FcaFeatures { get; init; } = FcaSite.Connector;
    /// <summary>Update rule.</summary>
    public PromptOptimizer Optimizer { get; init; } = PromptOptimizer.Normalized;
    /// <summary>Learning-rate schedule.</summary>
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Cosine;
    /// <summary>Epochs.</summary>
    public int Epochs { get; init; } = 10;
    /// <summary>Training batch size.</summary>
    public int BatchSize { get; init; } = 16;
    /// <summary>Validation batch size.</summary>
    public int EvalBatchSize { get; init; } = 32;
    /// <summary>Validate every N steps (and at the end of each epoch).</summary>
    public int ValidateEvery { get; init; } = 1000;
    /// <summary>Write a checkpoint every N steps.</summary>
    public int CheckpointEvery { get; init; } = 100;
    /// <summary>Log a metrics line every N steps.</summary>
    public int LogEvery { get; init; } = 10;
    /// <summary>Seed of batch order and augmentation.</summary>
    public int Seed { get; init; } = 42;
    /// <summary>
    /// Bytes of clean FCA features kept across epochs (<see cref="CleanFeatureCache"/>; 0 = recompute every step). A speed
    /// knob only: cached and recomputed features are the same numbers.
    /// </summary>
    public long CleanFeatureCacheBytes { get; init; } = 1L << 30;
    /// <summary>What to do when a step produces a non-finite loss, gradient or prompt.</summary>
    public NanPolicy OnNan { get; init; } = NanPolicy.Stop;

    /// <summary>Checks ranges; throws ArgumentException naming the flag.</summary>
    public void Validate()
    {
        if (!(Lr > 0) || double.IsInfinity(Lr)) throw new ArgumentException($"--lr must be a positive finite number, got {Lr}");
        if (!(Fca >= 0) || double.IsInfinity(Fca)) throw new ArgumentException($"--fca must be a finite number >= 0, got {Fca}");
        if (!(Tse >= 0) || double.IsInfinity(Tse)) throw new ArgumentException($"--tse must be a finite number >= 0, got {Tse}");
        if (Epochs <= 0) throw new ArgumentException($"--epochs must be positive, got {Epochs}");
        if (BatchSize <= 0) throw new ArgumentException($"--batch-size must be positive, got {BatchSize}");
        if (EvalBatchSize <= 0) throw new ArgumentException($"--eval-batch-size must be positive, got {EvalBatchSize}");
        if (ValidateEvery <= 0) throw new ArgumentException($"--val-every must be positive, got {ValidateEvery}");
        if (CheckpointEvery <= 0) throw new ArgumentException($"--checkpoint-every must be positive, got {CheckpointEvery}");
        if (CleanFeatureCacheBytes < 0) throw new ArgumentException($"the clean-feature cache budget must be >= 0 bytes, got {CleanFeatureCacheBytes}");
        if (LogEvery <= 0) throw new ArgumentException($"log_every must be positive, got {LogEvery}");
        if (!Enum.IsDefined(OnNan)) throw new ArgumentException($"--on-nan must be stop or skip, got {OnNan}");
        if (!Enum.IsDefined(Optimizer)) throw new ArgumentException($"--optimizer must be {OptionNames.Choices<PromptOptimizer>()}, got {Optimizer}");
        if (!Enum.IsDefined(Schedule)) throw new ArgumentException($"--schedule must be {OptionNames.Choices<ScheduleKind>()}, got {Schedule}");
        if (!Enum.IsDefined(FcaFeatures)) throw new ArgumentException($"--fca-features must be {OptionNames.Choices<FcaSite>()}, got {FcaFeatures}");
    }
}
