using Tvp.IO.Json;
using static TorchSharp.torch;

namespace Tvp.IO;

/// <summary>
/// A set of safetensors files seen as one name → tensor map: a single <c>model.safetensors</c>, a
/// sharded checkpoint (<c>model.safetensors.index.json</c>), or any one <c>.safetensors</c> file.
/// Refuses pickled PyTorch checkpoints (<c>pytorch_model.bin</c>, <c>.pt</c>, <c>.pth</c>) with a clear message.
/// </summary>
public sealed class Checkpoint
{
    private readonly Dictionary<string, SafeTensorFile> _byName = new(StringComparer.Ordinal);

    /// <summary>Where the checkpoint was opened from (folder or file).</summary>
    public string Source { get; }

    /// <summary>All tensor names.</summary>
    public IEnumerable<string> Names => _byName.Keys;

    private Checkpoint(string source) => Source = source;

    /// <summary>Opens a checkpoint from a folder (HF layout) or a single safetensors file.</summary>
    /// <exception cref="FileNotFoundException">Nothing loadable is there.</exception>
    /// <exception cref="NotSupportedException">Only a pickled checkpoint is there.</exception>
    public static Checkpoint Open(string pathOrFolder)
    {
        var ck = OpenFiles(pathOrFolder);
        ck.ReadDeclaredDType();
        return ck;
    }

    private static Checkpoint OpenFiles(string pathOrFolder)
    {
        var ck = new Checkpoint(pathOrFolder);
        if (File.Exists(pathOrFolder))
        {
            if (pathOrFolder.EndsWith(".index.json", StringComparison.Ordinal)) ck.AddIndex(pathOrFolder);
            else if (IsPickle(pathOrFolder)) throw PickleError(pathOrFolder);
            else ck.AddFile(new SafeTensorFile(pathOrFolder));
            return ck;
        }
        if (!Directory.Exists(pathOrFolder))
            throw new FileNotFoundException($"checkpoint not found: {pathOrFolder}", pathOrFolder);
        var single = System.IO.Path.Combine(pathOrFolder, "model.safetensors");
        var index = System.IO.Path.Combine(pathOrFolder, "model.safetensors.index.json");
        if (File.Exists(single)) ck.AddFile(new SafeTensorFile(single));
        else if (File.Exists(index)) ck.AddIndex(index);
        else
        {
            var any = Directory.GetFiles(pathOrFolder, "*.safetensors").OrderBy(p => p, StringComparer.Ordinal).ToArray();
            if (any.Length > 0) { foreach (var f in any) ck.AddFile(new SafeTensorFile(f)); }
            else
            {
                var pickled = Directory.GetFiles(pathOrFolder).FirstOrDefault(IsPickle);
                if (pickled is not null) throw PickleError(pickled);
                throw new FileNotFoundException($"{pathOrFolder}: no model.safetensors, model.safetensors.index.json or *.safetensors file", pathOrFolder);
            }
        }
        return ck;
    }

    private static bool IsPickle(string p) =>
        p.EndsWith(".bin", StringComparison.Ordinal) || p.EndsWith(".pt", StringComparison.Ordinal) ||
        p.EndsWith(".pth", StringComparison.Ordinal) || p.EndsWith(".ckpt", StringComparison.Ordinal);

    private static NotSupportedException PickleError(string p) => new(
        $"{p}: pickled PyTorch checkpoints are not loaded (unpickling can run arbitrary code). " +
        "Convert it to safetensors first, e.g. save_pretrained(..., safe_serialization=True).");

    private void AddFile(SafeTensorFile f)
    {
        foreach (var name in f.Entries.Keys) _byName[name] = f;
    }

    private void AddIndex(string indexPath)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(indexPath))!;
        var map = ConfigJson.ReadFile<SafetensorsIndexJson>(indexPath).WeightMap
            ?? throw new InvalidDataException($"{indexPath}: no weight_map");
        var files = new Dictionary<string, SafeTensorFile>(StringComparer.Ordinal);
        foreach (var (name, shardName) in map)
        {
            var shard = shardName ?? throw new InvalidDataException($"{indexPath}: weight_map '{name}' has no shard");
            if (!files.TryGetValue(shard, out var f))
            {
                var shardPath = System.IO.Path.Combine(dir, shard);
                if (!File.Exists(shardPath)) throw new FileNotFoundException($"{indexPath}: shard '{shard}' (holding '{name}') is missing", shardPath);
                files[shard] = f = new SafeTensorFile(shardPath);
            }
            if (!f.Contains(name)) throw new InvalidDataException($"{indexPath}: tensor '{name}' is not in shard '{shard}'");
            _byName[name] = f;
        }
    }

    /// <summary>
    /// The dtype the checkpoint declares for its weights: <c>torch_dtype</c> of the <c>config.json</c> beside it
    /// (null when there is none, or it names no floating dtype).
    /// </summary>
    public ScalarType? DeclaredDType { get; private set; }

    /// <summary>The safetensors files, each once.</summary>
    public IReadOnlyList<SafeTensorFile> Files => _byName.Values.Distinct().ToArray();

    /// <summary>Bytes of tensor data in all files.</summary>
    public long DataBytes => Files.Sum(f => f.DataBytes);

    private void ReadDeclaredDType()
    {
        var folder = Directory.Exists(Source) ? Source : System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Source));
        var config = folder is null ? null : System.IO.Path.Combine(folder, "config.json");
        if (config is null || !File.Exists(config)) return;
        try
        {
            if (ConfigJson.ReadFile<TorchDTypeJson>(config).TorchDtype is { } d) DeclaredDType = WeightDTypes.FromTorchDTypeName(d);
        }
        catch (InvalidDataException) { /* a broken config.json is reported by the family's own config reader */ }
    }

    /// <summary>True when a tensor of this name exists.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The header entry of a tensor, or null.</summary>
    public SafeTensorEntry? Entry(string name) => _byName.TryGetValue(name, out var f) ? f.Entries[name] : null;

    /// <summary>The file holding a tensor (null when there is none).</summary>
    internal SafeTensorFile? FileOf(string name) => _byName.TryGetValue(name, out var f) ? f : null;

    /// <summary>Reads a tensor as float32 on the CPU.</summary>
    public Tensor ReadFloat(string name) =>
        _byName.TryGetValue(name, out var f) ? f.ReadFloat(name) : throw new KeyNotFoundException($"{Source}: no tensor named '{name}'");

    /// <summary>Reads a tensor in its stored dtype on the CPU.</summary>
    public Tensor Read(string name) =>
        _byName.TryGetValue(name, out var f) ? f.Read(name) : throw new KeyNotFoundException($"{Source}: no tensor named '{name}'");
}
