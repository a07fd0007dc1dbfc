using Tvp.Data;
using Tvp.Training;

namespace Tvp.Experiments;

/// <summary>The splits of an experiment: training and validation indices into Train, test indices into Test.</summary>
/// <param name="Train">The training dataset (train/).</param>
/// <param name="Test">The test dataset (test/, possibly corrupted).</param>
/// <param name="TrainIndices">Images used to learn the prompt (and for frequency label mapping).</param>
/// <param name="ValidationIndices">Held-out training images used for model selection.</param>
/// <param name="TestIndices">Images used for the reported accuracies.</param>
/// <param name="ValidationNote">How the validation split was drawn (for the run's log).</param>
internal sealed record ExperimentData(ITaskDataset Train, ITaskDataset Test, int[] TrainIndices, int[] ValidationIndices, int[] TestIndices, string ValidationNote = "")
{
    /// <summary>
    /// Loads <c>--data</c>: a folder with <c>train/</c> and <c>test/</c> (ImageFolder layout), or with
    /// <c>train.jsonl</c> and <c>test.jsonl</c> (question/candidates/answer tasks). Applies the few-shot /
    /// fraction / limit samplers (seeded, without replacement), holds out a stratified validation split from the
    /// training images, limits the test images, and corrupts the test images when asked.
    /// </summary>
    public static ExperimentData Load(TvpOptions o)
    {
        if (string.IsNullOrWhiteSpace(o.Data)) throw new ArgumentException("--data is required (a folder with train/ and test/)");
        var root = o.Data;
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"--data {root}: folder not found");
        var trainJsonl = Path.Combine(root, "train.jsonl");
        var testJsonl = Path.Combine(root, "test.jsonl");
        if (File.Exists(trainJsonl) && File.Exists(testJsonl))
        {
            // JSONL tasks (yes/no, counting, ...): each line {"image", "question", "answer", "candidates"}.
            if (o.Corruption is not null) throw new ArgumentException("--corruption applies to image-folder datasets only");
            return Split(Data.Tasks.JsonlTaskDataset.Load(trainJsonl, o.AllowOutsidePaths), Data.Tasks.JsonlTaskDataset.Load(testJsonl, o.AllowOutsidePaths), o);
        }
        var trainDir = Path.Combine(root, "train");
        var testDir = Path.Combine(root, "test");
        if (!Directory.Exists(trainDir) || !Directory.Exists(testDir))
            throw new DirectoryNotFoundException($"--data {root}: expected train/ and test/ folders inside (ImageFolder layout: one folder per class), or train.jsonl and test.jsonl (tasks)");
        var name = Path.GetFileName(Path.GetFullPath(root).TrimEnd('/'));
        IImageDataset trainImages = new ImageFolderDataset(trainDir);
        IImageDataset testImages = new ImageFolderDataset(testDir);
        if (!trainImages.Classes.SequenceEqual(testImages.Classes))
            throw new InvalidDataException($"--data {root}: train/ and test/ have different classes");
        if (o.Corruption is { } c) testImages = new CorruptedDataset(testImages, c, o.Severity, o.Seed);
        return Split(new ClassificationTask(trainImages, name, o.Question), new ClassificationTask(testImages, name, o.Question), o);
    }

    /// <summary>
    /// Applies the samplers of <paramref name="o"/> to given datasets. The validation split is drawn FIRST, stratified,
    /// from all training images: max(<see cref="TvpOptions.ValidationFraction"/>·N, <see cref="TvpOptions.ValidationMinimum"/>)
    /// images, at most half of them; the few-shot / fraction / limit samplers then draw the prompt's training images
    /// from the rest. So a 1-shot run still selects its prompt on 200 held-out images, and selection never uses test.
    /// </summary>
    public static ExperimentData Split(ITaskDataset train, ITaskDataset test, TvpOptions o)
    {
        int n = train.Count;
        int[] rest = Enumerable.Range(0, n).ToArray(), valIdx = Array.Empty<int>();
        string note = "no validation split: the last prompt is kept";
        int want = Math.Max((int)Math.Round(o.ValidationFraction * n, MidpointRounding.AwayFromZero), o.ValidationFraction > 0 ? o.ValidationMinimum : 0);
        if (want > 0 && n >= 2)
        {
            int count = Math.Min(want, n / 2);
            var (tr, va) = Samplers.TrainValidationSplit(train, Math.Clamp((double)count / n, 1e-9, 0.5), Seeds.Mix(o.Seed, 1));
            (rest, valIdx) = (tr, va);
            note = valIdx.Length >= want
                ? $"validation: {valIdx.Length} held-out training images (max of {o.ValidationFraction:P0} of {n} and {o.ValidationMinimum}), never test"
                : $"validation: only {valIdx.Length} held-out training images (half of the {n} training images; {want} asked), never test";
        }
        int[] pool = rest;
        var restView = new DatasetView(train, rest);
        if (o.Shots > 0) pool = Map(rest, Samplers.KPerClass(restView, o.Shots, o.Seed));
        else if (o.TrainFraction > 0) pool = Map(rest, Samplers.FractionPerClass(restView, o.TrainFraction, o.Seed));
        if (o.TrainLimit > 0 && o.TrainLimit < pool.Length)
            pool = Map(pool, Samplers.Limit(new DatasetView(train, pool), o.TrainLimit, o.Seed));
        int[] testIdx = o.TestLimit > 0 && o.TestLimit < test.Count
            ? Samplers.Limit(test, o.TestLimit, Seeds.Mix(o.Seed, 2)).OrderBy(i => i).ToArray()
            : Enumerable.Range(0, test.Count).ToArray();
        if (pool.Length == 0) throw new ArgumentException($"{train.Name}: no training images left after sampling");
        return new ExperimentData(train, test, pool, valIdx, testIdx, note);
    }

    private static int[] Map(int[] pool, int[] viewIdx) => viewIdx.Select(i => pool[i]).ToArray();
}
