using static TorchSharp.torch;

namespace Tvp.Models.Clip;

/// <summary>CLIP checkpoint folders (HF layout) as TSE guides.</summary>
internal sealed class ClipGuideFamily : IGuideFamily
{
    public string Name => "clip";

    public bool CanLoad(string path) => Directory.Exists(path) && ClipLoader.ModelType(path) == "clip";

    public IImageTextGuide Load(string path, Device device) => ClipGuide.Load(path, device);
}
