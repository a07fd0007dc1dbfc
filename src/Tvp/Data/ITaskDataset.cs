using Tvp.Models;

namespace Tvp.Data;

/// <summary>
/// Images plus, per image, a question, candidate answers and the right one. Classification datasets are
/// wrapped by <see cref="ClassificationTask"/>; JSONL tasks (yes/no, counting) implement it directly.
/// </summary>
public interface ITaskDataset : IImageDataset
{
    /// <summary>The text side for the given images.</summary>
    TaskBatch BatchOf(IReadOnlyList<int> indices);

    /// <summary>A short name for reports (folder name, file name).</summary>
    string Name { get; }
}

/// <summary>An image-classification dataset seen as a task: question "This is a photo of a", candidates = class names.</summary>
public sealed class ClassificationTask : ITaskDataset
{
    private readonly IImageDataset _inner;
    private readonly string _question;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    public ClassificationTask(IImageDataset inner, string name, string question = TaskBatch.PhotoQuestion)
    {
        _inner = inner;
        _question = question;
        Name = name;
    }

    /// <inheritdoc />
    public string Name { get; }
    /// <inheritdoc />
    public IReadOnlyList<string> Classes => _inner.Classes;
    /// <inheritdoc />
    public int Count => _inner.Count;
    /// <inheritdoc />
    public int LabelOf(int index) => _inner.LabelOf(index);
    /// <inheritdoc />
    public TorchSharp.torch.Tensor LoadImage(int index) => _inner.LoadImage(index);
    /// <inheritdoc />
    public string Describe(int index) => _inner.Describe(index);
    /// <inheritdoc />
    public TaskBatch BatchOf(IReadOnlyList<int> indices) =>
        TaskBatch.Classification(Classes, indices.Select(_inner.LabelOf).ToArray(), _question);
}
