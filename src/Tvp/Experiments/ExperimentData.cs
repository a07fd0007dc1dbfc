using Tvp.Data;
using Tvp.Training;

namespace Tvp.Experiments;

/// <summary>The splits of an experiment: training and validation indices into Train, test indices into Test.</summary>
/// <param name="Train">The training dataset (train/).</param>
/// <param name="Test">The test dataset (test/, possibly corrupted).</param>
/// <param name="TrainIndices">Images used to learn the prompt (and for frequency label mapping).</param>
/// <param name="ValidationIndices">Held-out training images used for model selection.</param>
/// <param name="TestIndices">Images used for the reported accuracies.</param>
public sealed record ExperimentData(ITaskDataset Train, ITaskDataset Test, int[] TrainIndices, int[] ValidationIndices, int[] TestIndices)
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

    /// <summary>Applies the samplers of <paramref name="o"/> to given datasets.</summary>
    public static ExperimentData Split(ITaskDataset train, ITaskDataset test, TvpOptions o)
    {
        int[] pool = Enumerable.Range(0, train.Count).ToArray();
        if (o.Shots > 0) pool = Samplers.KPerClass(train, o.Shots, o.Seed);
        else if (o.TrainFraction > 0) pool = Samplers.FractionPerClass(train, o.TrainFraction, o.Seed);
        if (o.TrainLimit > 0 && o.TrainLimit < pool.Length)
            pool = Map(pool, Samplers.Limit(new DatasetView(train, pool), o.TrainLimit, o.Seed));
        int[] trainIdx = pool, valIdx = Array.Empty<int>();
        if (o.ValidationFraction > 0)
        {
            var (tr, va) = Samplers.TrainValidationSplit(new DatasetView(train, pool), o.ValidationFraction, Seeds.Mix(o.Seed, 1));
            trainIdx = Map(pool, tr);
            valIdx = Map(pool, va);
        }
        int[] testIdx = o.TestLimit > 0 && o.TestLimit < test.Count
            ? Samplers.Limit(test, o.TestLimit, Seeds.Mix(o.Seed, 2)).OrderBy(i => i).ToArray()
            : Enumerable.Range(0, test.Count).ToArray();
        if (trainIdx.Length == 0) throw new ArgumentException($"{train.Name}: no training images left after sampling");
        return new ExperimentData(train, test, trainIdx, valIdx, testIdx);
    }

    private static int[] Map(int[] pool, int[] viewIdx) => viewIdx.Select(i => pool[i]).ToArray();
}
