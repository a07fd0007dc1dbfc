namespace Tvp.Models;

/// <summary>The families shipped with tvp, in the order the registry asks them. One line per family.</summary>
internal static class BuiltInFamilies
{
    public static IEnumerable<IModelFamily> Create()
    {
        // Families register here (one line each), e.g. `yield return new Classifiers.ClassifierFamily();`
        yield return new Onnx.OnnxFamily();
    }
}
