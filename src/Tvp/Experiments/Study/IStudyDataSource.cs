using Tvp.Data;
using Tvp.Models;
using static TorchSharp.torch;

namespace Tvp.Experiments.Study;

/// <summary>
/// A data set that a study spec's <c>data</c> key names instead of an ImageFolder path, together with the models
/// that belong to it (the demo's corrupted Fashion-MNIST with its zoo is one: <c>"data": "fashion-mnist"</c>).
/// Register it with <see cref="StudyDataSources.Register"/>.
/// </summary>
public interface IStudyDataSource
{
    /// <summary>The <c>data</c> value this source answers to.</summary>
    string Name { get; }

    /// <summary>True when the source's guide also reads images zero-shot (a model with the guide role in every cell).</summary>
    bool HasGuideModel { get; }

    /// <summary>Opens the data and its models for <paramref name="spec"/> (canvas and image sizes from its <c>train</c> block).</summary>
    /// <exception cref="ArgumentException">The spec does not fit the source (names the key).</exception>
    StudyDataSetup Open(StudySpec spec, int canvasSize, int imageSize, Device device, IExperimentProgress progress, CancellationToken cancel);
}

/// <summary>What a <see cref="IStudyDataSource"/> opened: images, the models that come with them, and their owner.</summary>
/// <param name="Train">Training images (prompts are trained and validated on these).</param>
/// <param name="Test">Test images.</param>
/// <param name="TaskName">Task name for captions and caches.</param>
/// <param name="Models">The source's models by name (the only models its studies may name), including the guide's zero-shot reading when <see cref="IStudyDataSource.HasGuideModel"/>.</param>
/// <param name="Guide">TSE's guide, or null.</param>
/// <param name="Owner">Frees the models and the guide.</param>
public sealed record StudyDataSetup(IImageDataset Train, IImageDataset Test, string TaskName,
    IReadOnlyDictionary<string, IPromptableModel> Models, IImageTextGuide? Guide, IDisposable Owner);

/// <summary>The registered study data sources (one line per source, e.g. the demo's <c>DemoFamilies.Register()</c>).</summary>
public static class StudyDataSources
{
    private static readonly List<IStudyDataSource> _sources = new();

    /// <summary>Adds a source (a later registration of the same name wins).</summary>
    public static void Register(IStudyDataSource source)
    {
        lock (_sources) _sources.Insert(0, source);
    }

    /// <summary>The source named <paramref name="data"/>, or null (then <c>data</c> is an ImageFolder path).</summary>
    public static IStudyDataSource? Find(string data)
    {
        lock (_sources) return _sources.FirstOrDefault(s => s.Name == data);
    }

    /// <summary>Names of the registered sources.</summary>
    public static IReadOnlyList<string> Names
    {
        get { lock (_sources) return _sources.Select(s => s.Name).Distinct().ToArray(); }
    }
}
