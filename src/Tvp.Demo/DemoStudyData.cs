using Tvp.Data;
using Tvp.Demo.Guides;
using Tvp.Demo.Zoo;
using Tvp.Experiments;
using Tvp.Experiments.Study;
using Tvp.Models;
using Tvp.Training;
using static TorchSharp.torch;

namespace Tvp.Demo;

/// <summary>
/// <c>"data": "fashion-mnist"</c> in a study spec: the demo's Fashion-MNIST IDX files, the zoo trained on a clean
/// subset (built on first use, then cached) and the offline guide; prompts are trained on the remaining images.
/// The zoo's models (<c>zoo-linear</c> … <c>zoo-cnn</c>) and the guide's zero-shot reading are the study's models.
/// </summary>
internal sealed class DemoStudyData(SharedEncoders encoders) : IStudyDataSource
{
    /// <summary>The <c>data</c> value.</summary>
    public const string DataName = "fashion-mnist";

    /// <inheritdoc />
    public string Name => DataName;

    /// <inheritdoc />
    public bool HasGuideModel => true;

    /// <inheritdoc />
    public StudyDataSetup Open(StudySpec spec, int canvasSize, int imageSize, Device device, IExperimentProgress progress, CancellationToken cancel)
    {
        var demo = new DemoOptions();
        if (canvasSize != demo.CanvasSize || imageSize != demo.ImageSize)
            throw new ArgumentException($"study {spec.Name}: data {DataName} needs train.canvas_size {demo.CanvasSize} and train.image_size {demo.ImageSize} (the zoo's)");
        if (!Directory.Exists(demo.Data))
            throw new DirectoryNotFoundException($"{demo.Data}: Fashion-MNIST not found; install Debian's dataset-fashion-mnist (./setup.sh does)");
        var train = IdxDataset.FashionMnist(demo.Data, train: true);
        var test = IdxDataset.FashionMnist(demo.Data, train: false);
        var zooIdx = Samplers.Limit(train, demo.ZooTrainImages, demo.Seed);
        var inZoo = new HashSet<int>(zooIdx);
        var promptImages = new DatasetView(train, Enumerable.Range(0, train.Count).Where(i => !inZoo.Contains(i)).ToArray());
        var zoo = DemoZoo.Prepare(demo.Zoo, train, zooIdx, device, fresh: false, progress, cancel, encoders: encoders);
        var models = zoo.Models.ToDictionary(m => m.Info.Name);
        var guideModel = new OfflineZeroShotPromptable(zoo.Guide, train.Classes, StudyPlan.GuideZeroShotName(spec));
        models[guideModel.Info.Name] = guideModel;
        return new StudyDataSetup(promptImages, test, DataName, models, zoo.Guide, new Owner(zoo, guideModel));
    }

    private sealed class Owner(DemoZooResult zoo, IPromptableModel guideModel) : IDisposable
    {
        public void Dispose()
        {
            guideModel.Dispose();
            zoo.Dispose();
        }
    }
}
