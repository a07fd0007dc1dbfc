using Tvp.Data;
using Tvp.Models;
using Tvp.Models.Classifiers;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Classifiers;

/// <summary>FLM counting through a model, collisions resolved one-to-one.</summary>
public sealed class FrequencyLabelMappingTests
{
    /// <summary>Images whose first pixel encodes the label a <see cref="PixelCodedClassifier"/> will predict.</summary>
    private sealed class CodedDataset(IReadOnlyList<string> classes, (int Label, int Predicted)[] items) : IImageDataset
    {
        public IReadOnlyList<string> Classes => classes;
        public int Count => items.Length;
        public int LabelOf(int index) => items[index].Label;
        public Tensor LoadImage(int index) => full(new long[] { 3, 2, 2 }, items[index].Predicted / 10f);
        public string Describe(int index) => $"coded#{index}";
    }

    /// <summary>Predicts label round(10·pixel[0,0,0]) out of <c>labels</c> labels.</summary>
    private sealed class PixelCodedClassifier(int labels) : ILabelledClassifier
    {
        public IReadOnlyList<string> Labels { get; } = Enumerable.Range(0, labels).Select(i => $"label{i}").ToArray();
        public LabelMapping? Mapping { get; set; }
        public ModelInfo Info { get; } = new("coded", "test", null, [0f, 0f, 0f], [1f, 1f, 1f]);
        public Device Device => CPU;
        public Tensor Logits(Tensor pixels) =>
            nn.functional.one_hot((pixels[.., 0, 0, 0] * 10).round().to_type(ScalarType.Int64), Labels.Count).to_type(ScalarType.Float32);
        public Tensor ImageFeatures(Tensor pixels) => throw new NotSupportedException();
        public Tensor TaskLoss(Tensor pixels, TaskBatch batch) => throw new NotSupportedException();
        public Tensor Score(Tensor pixels, TaskBatch batch) => throw new NotSupportedException();
        public void Dispose() { }
    }

    [Fact]
    public void CountsPredictionsAndResolvesCollisions()
    {
        string[] classes = ["A", "B", "C"];
        // A: 5× label 2. B: 3× label 2 (collides with A), 2× label 0. C: 3× label 0 (collides with B's runner-up), 1× label 1.
        var items = new[] { (0, 2), (0, 2), (0, 2), (0, 2), (0, 2), (1, 2), (1, 2), (1, 2), (1, 0), (1, 0), (2, 0), (2, 0), (2, 0), (2, 1) };
        var data = new CodedDataset(classes, items);
        using var model = new PixelCodedClassifier(4);

        var counts = FrequencyLabelMapping.Count(model, data, x => x, batchSize: 4);
        Assert.Equal(new long[,] { { 0, 0, 5, 0 }, { 2, 0, 3, 0 }, { 3, 1, 0, 0 } }, counts);

        var mapping = FrequencyLabelMapping.Compute(model, data, x => x, batchSize: 3);
        // A takes label 2 (count 5); C takes label 0 (3); B's labels 2 and 0 are taken, so it gets the lowest free label, 1.
        Assert.Equal(new[] { 2, 1, 0 }, mapping.ModelLabels);
        Assert.Equal(classes, mapping.TaskClasses);
        Assert.Equal("frequency", mapping.Kind);
    }

    /// <summary>The first <c>perClass</c> training images of each CIFAR-10 class.</summary>
    private sealed class CifarTrainSubset : IImageDataset
    {
        private readonly (string File, int Label)[] _items;
        public CifarTrainSubset(int perClass)
        {
            var root = SharedData.Path("data", "cifar10");
            Classes = File.ReadAllLines(Path.Combine(root, "classes.txt")).Where(l => l.Length > 0).ToArray();
            _items = Classes.SelectMany((c, i) => Directory.GetFiles(Path.Combine(root, "train", c), "*.jpg")
                .OrderBy(f => f, StringComparer.Ordinal).Take(perClass).Select(f => (f, i))).ToArray();
        }
        public IReadOnlyList<string> Classes { get; }
        public int Count => _items.Length;
        public int LabelOf(int index) => _items[index].Label;
        public Tensor LoadImage(int index) => ImageDecoder.Load(_items[index].File);
        public string Describe(int index) => _items[index].File;
    }

    [SharedFact]
    public void CifarResNetOnCifarTrainImagesMapsToIdentity()
    {
        using var model = ClassifierPromptable.Load(SharedData.Path("models", "cifar10-resnet20.json"));
        var data = new CifarTrainSubset(perClass: 10);
        // FLM runs the unprompted model on the plain training images.
        var mapping = FrequencyLabelMapping.Compute(model, data, x => x, batchSize: 32);
        Assert.Equal(Enumerable.Range(0, 10), mapping.ModelLabels);
    }
}
