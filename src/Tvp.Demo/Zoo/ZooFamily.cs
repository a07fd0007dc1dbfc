using static TorchSharp.torch;
using Tvp.Models;
using Tvp.Experiments;

namespace Tvp.Demo.Zoo;

/// <summary>
/// The demo zoo as a model family: a zoo file (<c>zoo-&lt;kind&gt;.safetensors</c>, made by <c>tvp demo</c>) loads
/// by path, and the default zoo in the user cache is discovered under the short names <c>zoo-linear</c>,
/// <c>zoo-mlp</c>, <c>zoo-attention</c>, <c>zoo-prototype</c> and <c>zoo-cnn</c> (so <c>tvp transfer --source
/// zoo-linear --targets zoo-mlp ...</c> reuses them). The shared-encoder models loaded through one family share the encoders given to it.
/// </summary>
internal sealed class ZooFamily(SharedEncoders encoders) : IModelFamily
{
    /// <inheritdoc />
    public string Name => "zoo";

    /// <inheritdoc />
    public bool CanLoad(string path) => ZooStore.IsZooFile(path);

    /// <inheritdoc />
    public IPromptableModel Load(string path, Device device) => ZooStore.Load(path, device, encoders);

    /// <inheritdoc />
    public IEnumerable<RegistryEntry> Discover(string folder)
    {
        var folders = new List<string> { folder };
        if (Path.GetFullPath(folder) == Path.GetFullPath(Path.Combine(ModelRegistry.CacheFolder(), "models")))
            folders.Add(new ZooConfig().Folder());
        foreach (var f in folders.Where(Directory.Exists))
            foreach (var kind in ZooHead.Kinds.Append("cnn"))
            {
                var path = ZooStore.PathOf(f, kind);
                if (!ZooStore.IsZooFile(path)) continue;
                var md = ZooStore.Metadata(path);
                var what = kind == "cnn" ? "small CNN trained from scratch (shares nothing)" : $"{kind} head on the shared ResNet-18 @{md.GetValueOrDefault("resolution")} px";
                yield return new RegistryEntry($"zoo-{kind}", Name, path, $"demo zoo: {what}, Fashion-MNIST, clean held-out top-1 {md.GetValueOrDefault("holdout_top1")}");
            }
    }
}
