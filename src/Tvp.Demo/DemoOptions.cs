using System.Text.Json;
using System.Text.Json.Serialization;
using Tvp.Demo.Zoo;
using Tvp.Models;
using Tvp.Experiments;

namespace Tvp.Demo;

/// <summary>
/// Everything <c>tvp demo</c> does, with the defaults chosen to fit 10 minutes on a 2-core CPU (first run, zoo
/// training included). Serialised into the run folder as <c>options.json</c>.
/// </summary>
public sealed record DemoOptions
{
    /// <summary>Fashion-MNIST IDX folder (Debian's dataset-fashion-mnist).</summary>
    public string Data { get; init; } = "/usr/share/datasets/fashion-mnist";
    /// <summary>The zoo model the prompts are trained on.</summary>
    public string Source { get; init; } = "zoo-linear";
    /// <summary>Canvas side (the prompt's space).</summary>
    public int CanvasSize { get; init; } = 64;
    /// <summary>Inner image side (the 28-px images are resized to it).</summary>
    public int ImageSize { get; init; } = 48;
    /// <summary>Border width of the padding prompt (canvas = image + 2·prompt).</summary>
    public int PromptSize { get; init; } = 8;
    /// <summary>Shared encoder input side (the canvas is resized to it).</summary>
    public int Resolution { get; init; } = 64;
    /// <summary>Clean training images for heads, CNN and guide.</summary>
    public int ZooTrainImages { get; init; } = 6000;
    /// <summary>Corrupted training images for the prompts (disjoint from the zoo's and from the validation images).</summary>
    public int PromptTrainImages { get; init; } = 1000;
    /// <summary>Corrupted test images evaluated.</summary>
    public int TestImages { get; init; } = 2000;
    /// <summary>Corruption of the downstream task (prompt training and test images).</summary>
    public string Corruption { get; init; } = "contrast";
    /// <summary>Corruption severity 1–5.</summary>
    public int Severity { get; init; } = 5;
    /// <summary>Prompt training epochs.</summary>
    public int Epochs { get; init; } = 2;
    /// <summary>Prompt training batch size.</summary>
    public int BatchSize { get; init; } = 16;
    /// <summary>Learning rate of the normalised-gradient step.</summary>
    public double Lr { get; init; } = 1;
    /// <summary>λ_fca of the TVP prompts.</summary>
    public double Fca { get; init; } = 0.05;
    /// <summary>λ_tse of the TVP prompts.</summary>
    public double Tse { get; init; } = 0.05;
    /// <summary>Which FCA features the TVP prompts use: both (one prompt each), connector or encoder.</summary>
    public DemoFcaChoice FcaFeatures { get; init; } = DemoFcaChoice.Both;
    /// <summary>Seed of the zoo, the guide and the data splits (fixed across prompt seeds).</summary>
    public int Seed { get; init; } = 42;
    /// <summary>Seeds of the prompt training runs (each prompt method is trained once per seed).</summary>
    public IReadOnlyList<int> PromptSeeds { get; init; } = new[] { 1, 2, 3 };
    /// <summary>At least this many held-out corrupted training images (outside the prompt's) for validation.</summary>
    public int ValidationImages { get; init; } = 200;
    /// <summary>cpu, cuda, cuda:N.</summary>
    public string Device { get; init; } = "cpu";
    /// <summary>Cache folder of the zoo, features and guide (null: TVP_CACHE, else ~/.cache/tvp).</summary>
    public string? CacheRoot { get; init; }
    /// <summary>Ignore (and rebuild) the cached zoo, features and guide.</summary>
    public bool Fresh { get; init; }

    /// <summary>The run options of one prompt trained on <paramref name="source"/> (λ 0: VP; the TVP variants set λ and the FCA site).</summary>
    public Training.TvpOptions RunOptions(string source, IReadOnlyList<string> targets) => new()
    {
        Data = Data, Source = source, Targets = targets,
        Lr = Lr, Fca = 0, Tse = 0, Epochs = Epochs, BatchSize = BatchSize, EvalBatchSize = 100,
        CanvasSize = CanvasSize, ImageSize = ImageSize, PromptSize = PromptSize,
        ValidateEvery = int.MaxValue, CheckpointEvery = int.MaxValue, LogEvery = 5, Seed = Seed, Device = Device,
        Corruption = Corruption, Severity = Severity, Guide = "offline",
    };

    /// <summary>The zoo these options use.</summary>
    public ZooConfig Zoo => new(CanvasSize, ImageSize, Resolution, ZooTrainImages, Seed);

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>JSON with snake_case names.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Checks ranges; throws ArgumentException naming the option.</summary>
    public void Validate()
    {
        Zoo.Validate();
        if (CanvasSize != ImageSize + 2 * PromptSize)
            throw new ArgumentException($"--canvas-size {CanvasSize} must be --image-size + 2·--prompt-size ({ImageSize} + 2·{PromptSize})");
        if (PromptTrainImages < 20 || TestImages < 10) throw new ArgumentException("--prompt-train-images must be at least 20 and --test-images at least 10");
        if (PromptSeeds.Count == 0 || PromptSeeds.Distinct().Count() != PromptSeeds.Count) throw new ArgumentException("--seeds must name at least one seed, without repeats");
        if (ValidationImages < 0) throw new ArgumentException($"--val-images must be >= 0, got {ValidationImages}");
        if (!Enum.IsDefined(FcaFeatures)) throw new ArgumentException($"--fca-features must be {Training.OptionNames.Choices<DemoFcaChoice>()}, got {FcaFeatures}");
        Tvp.Data.Corruptions.CheckName(Corruption);
        // λ, lr, epochs, batch size, sizes, severity: the one check of run options.
        (RunOptions(Source, Array.Empty<string>()) with { Fca = Fca, Tse = Tse }).Validate();
    }
}
