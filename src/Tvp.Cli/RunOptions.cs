using System.CommandLine;
using Tvp.Prompts;
using Tvp.Training;
using Tvp.Models;

namespace Tvp.Cli;

/// <summary>
/// The options shared by train / transfer / eval, mirroring METHOD.md, with the paper's defaults. <see cref="Bind"/> is
/// the one place flags become <see cref="TvpOptions"/> (choices parsed into their enums); <see cref="TvpOptions.Validate"/>
/// is the one place they are checked.
/// </summary>
internal sealed class RunOptions
{
    private static readonly TvpOptions D = new();

    public Option<string> Data { get; } = new("--data") { Description = "Dataset root with train/ and test/ (one folder per class)." };
    public Option<string> Source { get; } = new("--source") { Description = "Source model: registry name (tvp models), card .json, checkpoint folder or .onnx." };
    public Option<string[]> Targets { get; } = new("--targets") { Description = "Target models evaluated with the prompt.", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => Array.Empty<string>() };
    public Option<string> LabelMap { get; } = new("--label-map") { Description = "Classifier label mapping: identity | frequency (FLM on unprompted training images) | iterative (ILM: FLM recomputed on prompted images each epoch) | FILE.", DefaultValueFactory = _ => D.LabelMap.ToString() };
    public Option<string?> Guide { get; } = new("--guide") { Description = "Image–text guide for TSE (a CLIP checkpoint folder in HF layout, or 'offline'). TSE is off without one." };
    public Option<double> Lr { get; } = new("--lr") { Description = "Learning rate (normalised-gradient step).", DefaultValueFactory = _ => D.Lr };
    public Option<double> Fca { get; } = new("--fca") { Description = "λ_fca, weight of Feature Consistency Alignment.", DefaultValueFactory = _ => D.Fca };
    public Option<double> Tse { get; } = new("--tse") { Description = "λ_tse, weight of Task Semantics Enrichment.", DefaultValueFactory = _ => D.Tse };
    public Option<string> FcaFeatures { get; } = new("--fca-features") { Description = "FCA on the model's own connector output or on a shared encoder: connector | encoder.", DefaultValueFactory = _ => OptionNames.Name(D.FcaFeatures) };
    public Option<string> Optimizer { get; } = new("--optimizer") { Description = "normalized (the paper's) | sgd | adam.", DefaultValueFactory = _ => OptionNames.Name(D.Optimizer) };
    public Option<string> Schedule { get; } = new("--schedule") { Description = "cosine (per iteration) | constant.", DefaultValueFactory = _ => OptionNames.Name(D.Schedule) };
    public Option<int> PromptSize { get; } = new("--prompt-size") { Description = "Prompt size p (border width or patch side).", DefaultValueFactory = _ => D.PromptSize };
    public Option<int?> ImageSize { get; } = new("--image-size") { Description = "Inner image size (default: canvas − 2p for padding, canvas for other shapes; 164 with the defaults)." };
    public Option<int> CanvasSize { get; } = new("--canvas-size") { Description = "Canvas size.", DefaultValueFactory = _ => D.CanvasSize };
    public Option<string> Augment { get; } = new("--augment") { Description = "Training augmentation: crop-flip (the paper's) | flip | none (none and flip let FCA's clean features be cached across epochs).", DefaultValueFactory = _ => OptionNames.Name(D.Augmentation) };
    public Option<string> PromptShape { get; } = new("--prompt-shape") { Description = "padding | fixed-patch | random-patch | full.", DefaultValueFactory = _ => D.PromptShape.Name() };
    public Option<int> Epochs { get; } = new("--epochs") { Description = "Epochs.", DefaultValueFactory = _ => D.Epochs };
    public Option<int> BatchSize { get; } = new("--batch-size") { Description = "Training batch size.", DefaultValueFactory = _ => D.BatchSize };
    public Option<int> EvalBatchSize { get; } = new("--eval-batch-size") { Description = "Evaluation batch size.", DefaultValueFactory = _ => D.EvalBatchSize };
    public Option<int> Shots { get; } = new("--shots") { Description = "Few-shot: K training images per class (0 = all).", DefaultValueFactory = _ => 0 };
    public Option<double> TrainFraction { get; } = new("--train-fraction") { Description = "Use this fraction of the training images per class (0 = all).", DefaultValueFactory = _ => 0 };
    public Option<int> TrainLimit { get; } = new("--train-limit") { Description = "At most N training images (0 = all), stratified, without replacement.", DefaultValueFactory = _ => 0 };
    public Option<int> TestLimit { get; } = new("--test-limit") { Description = "At most N test images (0 = all).", DefaultValueFactory = _ => 0 };
    public Option<double> ValFraction { get; } = new("--val-fraction") { Description = "Fraction of training images held out for validation (prompt selection).", DefaultValueFactory = _ => D.ValidationFraction };
    public Option<int> ValMin { get; } = new("--val-min") { Description = "At least this many held-out training images for validation (at most half of them).", DefaultValueFactory = _ => D.ValidationMinimum };
    public Option<int> ValEvery { get; } = new("--val-every") { Description = "Validate every N steps (and at each epoch end).", DefaultValueFactory = _ => D.ValidateEvery };
    public Option<int> CheckpointEvery { get; } = new("--checkpoint-every") { Description = "Checkpoint every N steps.", DefaultValueFactory = _ => D.CheckpointEvery };
    public Option<int> Seed { get; } = new("--seed") { Description = "Seed for sampling, augmentation and order.", DefaultValueFactory = _ => D.Seed };
    public Option<string> Device { get; } = new("--device") { Description = "cpu | cuda | cuda:N.", DefaultValueFactory = _ => D.Device };
    public Option<string?> Corruption { get; } = new("--corruption") { Description = "Corrupt the test images (robustness study), e.g. contrast, gaussian_noise." };
    public Option<int> Severity { get; } = new("--severity") { Description = "Corruption severity 1–5.", DefaultValueFactory = _ => D.Severity };
    public Option<string> OnNan { get; } = new("--on-nan") { Description = "When a step gives a non-finite loss, gradient or prompt: stop (keep the last finite checkpoint and best prompt, exit 3) | skip (skip the batch).", DefaultValueFactory = _ => "stop" };
    public Option<bool> AllowOutsidePaths { get; } = new("--allow-outside-paths") { Description = "Let JSONL task files name images outside their own folder." };
    public Option<string?> Out { get; } = new("--out") { Description = "Run folder (default runs/<time>-<source>)." };
    public Option<bool> Resume { get; } = new("--resume") { Description = "Continue the run in --out from its last checkpoint, with its own options.json." };
    public Option<bool> Overwrite { get; } = new("--overwrite") { Description = "Replace an existing run in --out." };
    public Option<bool> Quiet { get; } = new("--quiet") { Description = "No progress output." };
    public Option<bool> Json { get; } = new("--json") { Description = "Print one JSON object on stdout (for scripts)." };
    public ModelLoadFlags Loading { get; } = new();
    public ImageReadFlags Images { get; } = new();
    /// <summary>Training commands only (added by train and transfer): see <see cref="Tvp.Models.ActivationCheckpointing"/>.</summary>
    public Option<bool> ActivationCheckpointing { get; } = new("--activation-checkpointing") { Description = "Recompute the language model's layers in backward instead of keeping their activations (LLaMA, OPT): less memory for big MLLMs, one extra forward; same gradients." };

    public void AddTo(Command cmd, bool withTargets)
    {
        foreach (var o in new Option[] { Data, Source })
            cmd.Options.Add(o);
        if (withTargets) cmd.Options.Add(Targets);
        foreach (var o in new Option[] { LabelMap, Guide, Lr, Fca, Tse, FcaFeatures, Optimizer, Schedule, PromptSize, ImageSize, CanvasSize,
                     PromptShape, Augment, Epochs, BatchSize, EvalBatchSize, Shots, TrainFraction, TrainLimit, TestLimit, ValFraction, ValMin, ValEvery,
                     CheckpointEvery, Seed, Device, Corruption, Severity, OnNan, AllowOutsidePaths, Out, Resume, Overwrite, Quiet, Json })
            cmd.Options.Add(o);
        Loading.AddTo(cmd);
        Images.AddTo(cmd);
    }

    /// <summary>The option's value, or <paramref name="fallback"/> (the paper's default) when the command does not have it.</summary>
    private static T V<T>(ParseResult r, Option<T> option, T fallback) => r.GetResult(option) is null ? fallback : r.GetValue(option) ?? fallback;

    /// <summary>The option's choice parsed into its enum (one-line error naming the flag), or <paramref name="fallback"/> when the command does not have it.</summary>
    private static T Choice<T>(ParseResult r, Option<string> option, T fallback) where T : struct, Enum =>
        r.GetResult(option) is null ? fallback : OptionNames.Parse<T>(r.GetValue(option) ?? OptionNames.Name(fallback), option.Name);

    public TvpOptions Bind(ParseResult r)
    {
        var shape = r.GetResult(PromptShape) is null ? D.PromptShape : Prompts.PromptShapes.Parse(r.GetValue(PromptShape) ?? D.PromptShape.Name());
        int canvas = V(r, CanvasSize, D.CanvasSize), p = V(r, PromptSize, D.PromptSize);
        var images = Images.Bind(r);
        int image = r.GetValue(ImageSize) ?? TvpOptions.DefaultImageSize(shape, canvas, p);
        var options = new TvpOptions
        {
            Data = r.GetValue(Data) ?? "",
            Source = r.GetValue(Source) ?? "",
            Targets = r.GetValue(Targets) ?? Array.Empty<string>(),
            LabelMap = r.GetResult(LabelMap) is null ? D.LabelMap : LabelMapChoice.Parse(r.GetValue(LabelMap) ?? D.LabelMap.ToString()),
            Guide = r.GetValue(Guide),
            Lr = V(r, Lr, D.Lr),
            Fca = V(r, Fca, D.Fca),
            Tse = V(r, Tse, D.Tse),
            FcaFeatures = Choice(r, FcaFeatures, D.FcaFeatures),
            Optimizer = Choice(r, Optimizer, D.Optimizer),
            Schedule = Choice(r, Schedule, D.Schedule),
            PromptSize = p,
            ImageSize = image,
            CanvasSize = canvas,
            PromptShape = shape,
            Augmentation = Choice(r, Augment, D.Augmentation),
            Epochs = V(r, Epochs, D.Epochs),
            BatchSize = V(r, BatchSize, D.BatchSize),
            EvalBatchSize = V(r, EvalBatchSize, D.EvalBatchSize),
            Shots = r.GetValue(Shots),
            TrainFraction = r.GetValue(TrainFraction),
            TrainLimit = r.GetValue(TrainLimit),
            TestLimit = r.GetValue(TestLimit),
            ValidationFraction = V(r, ValFraction, D.ValidationFraction),
            ValidationMinimum = V(r, ValMin, D.ValidationMinimum),
            ValidateEvery = V(r, ValEvery, D.ValidateEvery),
            CheckpointEvery = V(r, CheckpointEvery, D.CheckpointEvery),
            Seed = V(r, Seed, D.Seed),
            Device = V(r, Device, D.Device),
            Corruption = r.GetValue(Corruption),
            Severity = V(r, Severity, D.Severity),
            OnNan = NanPolicies.Parse(V(r, OnNan, "stop")),
            MaxImagePixels = images.MaxPixels,
            AllowTruncatedImages = images.AllowTruncated,
            AllowOutsidePaths = r.GetResult(AllowOutsidePaths) is not null && r.GetValue(AllowOutsidePaths),
        };
        // Images are decoded deep inside datasets; the flags reach the decoder as this process's defaults.
        Tvp.Data.ImageReadOptions.Default = images;
        return options;
    }
}
