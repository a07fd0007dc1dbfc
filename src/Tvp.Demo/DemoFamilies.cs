using Tvp.Demo.Guides;
using Tvp.Demo.Zoo;
using Tvp.Experiments.Study;
using Tvp.Models;
using Tvp.Experiments;

namespace Tvp.Demo;

/// <summary>Plugs the demo into the library's registries: the zoo models, the offline guide and the Fashion-MNIST study data.</summary>
public static class DemoFamilies
{
    /// <summary>
    /// Registers the zoo model family (<c>zoo-linear</c> … <c>zoo-cnn</c>), the <c>offline</c> guide family and the
    /// <c>fashion-mnist</c> study data source; models and guides loaded through them share one set of encoders.
    /// </summary>
    public static void Register()
    {
        var encoders = new SharedEncoders();
        ModelRegistry.Register(new ZooFamily(encoders));
        GuideRegistry.Register(new OfflineGuideFamily(encoders));
        StudyDataSources.Register(new DemoStudyData(encoders));
    }
}
