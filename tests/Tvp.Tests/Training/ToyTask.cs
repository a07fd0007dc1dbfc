using Tvp.Data;
using Tvp.Models;
using static TorchSharp.torch;

namespace Tvp.Tests.Training;

/// <summary>A synthetic task: 8×8 images whose class is the brightest channel (3 classes), with noise.</summary>
public sealed class ToyTask : ITaskDataset
{
    private readonly float[][] _images;
    private readonly int[] _labels;

    public ToyTask(int count, int seed, int size = 8)
    {
        var rng = new Random(seed);
        _images = new float[count][];
        _labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            int c = i % 3;
            _labels[i] = c;
            var px = new float[3 * size * size];
            for (int k = 0; k < px.Length; k++)
            {
                int ch = k / (size * size);
                px[k] = (float)Math.Clamp((ch == c ? 0.55 : 0.45) + 0.25 * (rng.NextDouble() - 0.5), 0, 1);
            }
            _images[i] = px;
        }
        Size = size;
    }

    public int Size { get; }
    public string Name => "toy";
    public IReadOnlyList<string> Classes { get; } = new[] { "red", "green", "blue" };
    public int Count => _images.Length;
    public int LabelOf(int index) => _labels[index];
    public Tensor LoadImage(int index) => tensor(_images[index], new long[] { 3, Size, Size });
    public string Describe(int index) => $"toy#{index}";
    public TaskBatch BatchOf(IReadOnlyList<int> indices) => TaskBatch.Classification(Classes, indices.Select(LabelOf).ToArray());
}

/// <summary>
/// A tiny fixed-weight classifier over canvases (any size, resized to 12×12): deliberately weak so a prompt
/// can help. Implements the full model contract.
/// </summary>
public sealed class ToyClassifier : ILabelledClassifier
{
    private readonly Tensor _w1, _w2;

    public ToyClassifier(int seed = 0)
    {
        var g = new Generator((ulong)seed + 1);
        _w1 = randn(new long[] { 16, 3 * 12 * 12 }, generator: g) * 0.05f;
        _w2 = randn(new long[] { 3, 16 }, generator: g) * 0.5f;
    }

    public ModelInfo Info { get; } = new("toy", "test", 12, new[] { 0.5f, 0.5f, 0.5f }, new[] { 0.25f, 0.25f, 0.25f });
    public Device Device => CPU;
    public IReadOnlyList<string> Labels { get; } = new[] { "red", "green", "blue" };
    public LabelMapping? Mapping { get; set; }

    public Tensor ImageFeatures(Tensor pixels)
    {
        var x = ModelInput.Prepare(pixels, Info).flatten(1);
        return nn.functional.relu(x.matmul(_w1.t()));
    }

    public Tensor Logits(Tensor pixels) => ImageFeatures(pixels).matmul(_w2.t());

    public Tensor Score(Tensor pixels, TaskBatch batch) => nn.functional.log_softmax(Logits(pixels), 1);

    public Tensor TaskLoss(Tensor pixels, TaskBatch batch) =>
        nn.functional.cross_entropy(Logits(pixels), tensor(batch.Targets.Select(t => (long)t).ToArray()));

    public void Dispose() { _w1.Dispose(); _w2.Dispose(); }
}

/// <summary>A tiny image–text guide: image embedding = mean colour, text embedding = the colour named.</summary>
public sealed class ToyGuide : IImageTextGuide
{
    public int TextCalls { get; private set; }
    public string Name => "toy-guide";
    public Device Device => CPU;
    public double LogitScale { get; init; } = 20;

    public Tensor EncodeImage(Tensor pixels) => pixels.mean(new long[] { 2, 3 }); // [B, 3]

    public Tensor EncodeText(IReadOnlyList<string> texts)
    {
        TextCalls += texts.Count;
        return stack(texts.Select(t =>
            t.EndsWith("red") ? tensor(new float[] { 1, 0, 0 }) :
            t.EndsWith("green") ? tensor(new float[] { 0, 1, 0 }) : tensor(new float[] { 0, 0, 1 })).ToArray());
    }

    public void Dispose() { }
}
