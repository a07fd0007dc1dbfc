using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tvp.Training;

/// <summary>
/// Every hyperparameter of a run, with the paper's defaults (METHOD.md). Serialised into each run folder
/// (<c>options.json</c>) so the run can be reproduced from the folder alone.
/// </summary>
public sealed record TvpOptions
{
    /// <summary>Dataset root with train/ and test/ (ImageFolder) or a JSONL task file.</summary>
    public string Data { get; init; } = "";
    /// <summary>Source model (registry name, card, folder or .onnx).</summary>
    public string Source { get; init; } = "";
    /// <summary>Target models evaluated with the prompt.</summary>
    public IReadOnlyList<string> Targets { get; init; } = Array.Empty<string>();
    /// <summary>Label mapping for classifiers: identity | frequency | iterative (ILM) | path to a mapping file.</summary>
    public LabelMapChoice LabelMap { get; init; } = LabelMapChoice.Identity;
    /// <summary>Image–text guide for TSE (CLIP folder or other guide); TSE is off without one.</summary>
    public string? Guide { get; init; }

    /// <summary>Learning rate (10 for the normalised-gradient step).</summary>
    public double Lr { get; init; } = TrainerDefaults.Lr;
    /// <summary>λ_fca.</summary>
    public double Fca { get; init; } = TrainerDefaults.Fca;
    /// <summary>λ_tse.</summary>
    public double Tse { get; init; } = TrainerDefaults.Tse;
    /// <summary>Which features FCA compares: connector (the model's own) or encoder (a shared encoder's output, where a model has one).</summary>
    public FcaSite FcaFeatures { get; init; } = TrainerDefaults.FcaFeatures;
    /// <summary>Update rule: normalized (the paper's), sgd (momentum 0.9), adam.</summary>
    public PromptOptimizer Optimizer { get; init; } = TrainerDefaults.Optimizer;
    /// <summary>Learning-rate schedule: cosine (stepped per iteration) or constant.</summary>
    public ScheduleKind Schedule { get; init; } = TrainerDefaults.Schedule;

    /// <summary>Prompt size p (border width or patch side).</summary>
    public int PromptSize { get; init; } = 30;
    /// <summary>Inner image size (defaults to canvas − 2p for padding prompts).</summary>
    public int ImageSize { get; init; } = 164;
    /// <summary>Canvas size.</summary>
    public int CanvasSize { get; init; } = 224;
    /// <summary>
    /// Training-time augmentation: crop-flip (the paper's), flip or none. Written to options.json only when not the
    /// paper's, so earlier runs' files and study cell hashes are unchanged.
    /// </summary>
    [JsonConverter(typeof(OptionEnumConverter<Prompts.Augmentation>))]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Prompts.Augmentation Augmentation { get; init; } = Prompts.Augmentation.CropFlip;
    /// <summary>padding | fixed-patch | random-patch | full.</summary>
    public Prompts.PromptShape PromptShape { get; init; } = Prompts.PromptShape.Padding;

    /// <summary>Epochs (the paper's script default is 10; its README uses 1 on CIFAR-10).</summary>
    public int Epochs { get; init; } = TrainerDefaults.Epochs;
    /// <summary>Training batch size.</summary>
    public int BatchSize { get; init; } = TrainerDefaults.BatchSize;
    /// <summary>Evaluation batch size.</summary>
    public int EvalBatchSize { get; init; } = TrainerDefaults.EvalBatchSize;
    /// <summary>Few-shot: k training images per class (0 = all).</summary>
    public int Shots { get; init; }
    /// <summary>Fraction of the training images per class (0 = all).</summary>
    public double TrainFraction { get; init; }
    /// <summary>At most this many training images (0 = all), drawn per class without replacement.</summary>
    public int TrainLimit { get; init; }
    /// <summary>At most this many test images (0 = all).</summary>
    public int TestLimit { get; init; }
    /// <summary>Fraction of the training images held out for validation (model selection never uses test).</summary>
    public double ValidationFraction { get; init; } = 0.05;
    /// <summary>At least this many held-out training images for validation (when <see cref="ValidationFraction"/> &gt; 0; at most half the training images).</summary>
    public int ValidationMinimum { get; init; } = 200;
    /// <summary>Validate every N steps (and at the end of each epoch).</summary>
    public int ValidateEvery { get; init; } = TrainerDefaults.ValidateEvery;
    /// <summary>Write a checkpoint every N steps.</summary>
    public int CheckpointEvery { get; init; } = TrainerDefaults.CheckpointEvery;
    /// <summary>Log a metrics line every N steps.</summary>
    public int LogEvery { get; init; } = TrainerDefaults.LogEvery;
    /// <summary>Seed for sampling, augmentation and order.</summary>
    public int Seed { get; init; } = TrainerDefaults.Seed;
    /// <summary>cpu, cuda, cuda:N.</summary>
    public string Device { get; init; } = "cpu";
    /// <summary>Common corruption applied to the test images (robustness studies), or null.</summary>
    public string? Corruption { get; init; }
    /// <summary>Corruption severity 1–5.</summary>
    public int Severity { get; init; } = 3;
    /// <summary>What to do when a step produces a non-finite loss, gradient or prompt (<c>--on-nan</c>).</summary>
    public NanPolicy OnNan { get; init; } = TrainerDefaults.OnNan;
    /// <summary>Images declaring more pixels than this are refused before decoding (<c>--max-image-pixels</c>).</summary>
    public long MaxImagePixels { get; init; } = IO.Limits.DefaultMaxImagePixels;
    /// <summary>Truncated images are decoded with a warning instead of refused (<c>--allow-truncated-images</c>).</summary>
    public bool AllowTruncatedImages { get; init; }
    /// <summary>JSONL image paths may point outside the JSONL file's folder (<c>--allow-outside-paths</c>).</summary>
    public bool AllowOutsidePaths { get; init; }
    /// <summary>Class names question for classification ("This is a photo of a").</summary>
    public string Question { get; init; } = Tvp.Data.TaskBatch.PhotoQuestion;

    // The trainer's knobs are flat here (options.json's shape and the study cell hashes depend on it); their
    // defaults come from TrainerOptions, the one place they are written.
    private static readonly TrainerOptions TrainerDefaults = new();

    /// <summary>What the trainer uses of these options (not serialised: options.json keeps its flat shape).</summary>
    [JsonIgnore]
    public TrainerOptions Trainer => new()
    {
        Lr = Lr, Fca = Fca, Tse = Tse, FcaFeatures = FcaFeatures, Optimizer = Optimizer, Schedule = Schedule, Epochs = Epochs,
        BatchSize = BatchSize, EvalBatchSize = EvalBatchSize, ValidateEvery = ValidateEvery, CheckpointEvery = CheckpointEvery,
        LogEvery = LogEvery, Seed = Seed, OnNan = OnNan,
    };

    /// <summary>The default inner image size for <paramref name="shape"/>: canvas − 2p for padding, else the canvas.</summary>
    public static int DefaultImageSize(Prompts.PromptShape shape, int canvasSize, int promptSize) =>
        shape == Prompts.PromptShape.Padding ? canvasSize - 2 * promptSize : canvasSize;

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>JSON with snake_case names.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads options written by <see cref="ToJson"/>.</summary>
    /// <exception cref="InvalidDataException">Not options JSON; one line naming the key.</exception>
    public static TvpOptions FromJson(string json)
    {
        try { return JsonSerializer.Deserialize<TvpOptions>(json, Json) ?? throw new InvalidDataException("options.json is empty"); }
        catch (JsonException e) when (e.Path is { Length: > 0 })
        {
            throw new InvalidDataException($"options.json: {e.Path.TrimStart('$', '.')} {e.Message.Split('\n')[0]}");
        }
    }

    /// <summary>
    /// The one check of a run's options (CLI, <c>TransferExperiment</c>, studies, the demo): ranges and combinations;
    /// throws ArgumentException with one line naming the flag.
    /// </summary>
    public void Validate()
    {
        Trainer.Validate();
        if (Shots < 0) throw new ArgumentException($"--shots must be >= 0 (0 = all), got {Shots}");
        if (TrainLimit < 0) throw new ArgumentException($"--train-limit must be >= 0 (0 = all), got {TrainLimit}");
        if (TestLimit < 0) throw new ArgumentException($"--test-limit must be >= 0 (0 = all), got {TestLimit}");
        if (MaxImagePixels <= 0) throw new ArgumentException($"--max-image-pixels must be positive, got {MaxImagePixels}");
        var maxSide = IO.Limits.Current.MaxCanvasSize;
        if (CanvasSize <= 0 || CanvasSize > maxSide) throw new ArgumentException($"--canvas-size must be in 1..{maxSide}, got {CanvasSize}");
        if (!Enum.IsDefined(Augmentation)) throw new ArgumentException($"--augment must be {OptionNames.Choices<Prompts.Augmentation>()}, got {Augmentation}");
        if (ImageSize <= 0) throw new ArgumentException($"--image-size must be positive, got {ImageSize}");
        if (PromptSize < 0) throw new ArgumentException($"--prompt-size must be >= 0, got {PromptSize}");
        if (!(ValidationFraction >= 0 && ValidationFraction < 1)) throw new ArgumentException($"--val-fraction must be in [0,1), got {ValidationFraction}");
        if (!(TrainFraction >= 0 && TrainFraction <= 1)) throw new ArgumentException($"--train-fraction must be in [0,1], got {TrainFraction}");
        if (ValidationMinimum < 0) throw new ArgumentException($"--val-min must be >= 0, got {ValidationMinimum}");
        if (Severity is < 1 or > 5) throw new ArgumentException($"--severity must be 1..5, got {Severity}");
        if (!Enum.IsDefined(PromptShape)) throw new ArgumentException($"--prompt-shape must be padding, fixed-patch, random-patch or full, got {PromptShape}");
        if (LabelMap.Kind == LabelMapKind.File && string.IsNullOrWhiteSpace(LabelMap.Path)) throw new ArgumentException("--label-map must be identity, frequency, iterative or a mapping file");
        if (ImageSize > CanvasSize) throw new ArgumentException($"--image-size {ImageSize} is larger than the canvas {CanvasSize}");
    }
}
