namespace Tvp.Models;

/// <summary>The families shipped with tvp, in the order the registries ask them. One line per family.</summary>
internal static class BuiltInFamilies
{
    public static IEnumerable<IModelFamily> Create()
    {
        yield return new Classifiers.ClassifierFamily();
        yield return new Clip.ClipFamily();
        yield return new Llava.LlavaFamily();
        yield return new Blip2.Blip2Family();
        yield return new MiniGpt4.MiniGpt4Family();
        yield return new Onnx.OnnxFamily();
    }

    public static IEnumerable<IGuideFamily> CreateGuides()
    {
        yield return new Clip.ClipGuideFamily();
    }
}
