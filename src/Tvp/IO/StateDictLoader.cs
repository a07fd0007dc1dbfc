using TorchSharp;
using static TorchSharp.torch;

namespace Tvp.IO;

/// <summary>
/// Fills a module's parameters and buffers from a checkpoint. Everything is checked from the headers first and
/// ALL problems are reported at once, naming the file: missing tensors, wrong shapes, and checkpoint tensors the
/// model does not use (an error unless allowed, see <see cref="AlwaysUnused"/>).
/// <para>
/// Loading is streamed: tensors are read one at a time, file by file in offset order, straight into their final
/// memory, and converted only when the stored dtype differs from the weight dtype. A module built with
/// <see cref="EmptyModules.Create{T}"/> (meta tensors) gets the read tensors themselves, so the peak resident
/// memory is the weights' bytes plus one tensor; a module built normally is filled in place (or its tensors
/// replaced when the weight dtype differs from the one it was built with).
/// </para>
/// <para>
/// Weight dtype (<see cref="ModelLoadOptions.DType"/>): floating tensors are kept in the chosen dtype; with
/// <see cref="WeightDType.Auto"/> in the checkpoint's declared <c>torch_dtype</c>, else in the dtype each is
/// stored in. Integer and boolean tensors keep the dtype the module gives them.
/// </para>
/// </summary>
public static class StateDictLoader
{
    /// <summary>
    /// Checkpoint names that are never an "unused" error, for every family: rotary tables that HF LLaMA exports
    /// saved as buffers (<c>rotary_emb.inv_freq</c>, recomputed here from the config), CLIP's
    /// <c>position_ids</c> buffers (0..P-1, recomputed) and BatchNorm's <c>num_batches_tracked</c> counters.
    /// Family-specific ones (a tied LM head, a tower loaded alone from a full model) are passed by the family.
    /// </summary>
    public static bool AlwaysUnused(string checkpointName) =>
        checkpointName.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal) ||
        checkpointName.EndsWith("embeddings.position_ids", StringComparison.Ordinal) ||
        checkpointName.EndsWith("num_batches_tracked", StringComparison.Ordinal);

    /// <summary>How many unused names an error message lists before summarising.</summary>
    private const int ListedUnused = 20;

    /// <summary>
    /// Loads <paramref name="checkpoint"/> into <paramref name="module"/> with the current <see cref="ModelLoadOptions"/>.
    /// </summary>
    /// <param name="module">Target module; its <c>state_dict()</c> names are the expected names.</param>
    /// <param name="checkpoint">Source tensors.</param>
    /// <param name="keyOf">Maps a module name to the checkpoint name (or several candidates, first found wins); identity when null.</param>
    /// <param name="optional">Module names allowed to be missing from the checkpoint (they keep their initial values; zeros when the module was built empty).</param>
    /// <param name="transform">Optional per-tensor transform applied after reading (e.g. a reshape), given the module name.</param>
    /// <param name="unusedAllowed">Checkpoint names the family knows it does not use (besides <see cref="AlwaysUnused"/>).</param>
    /// <exception cref="InvalidDataException">Some tensors are missing, have the wrong shape, or are unused (message lists them all).</exception>
    public static void Load(nn.Module module, Checkpoint checkpoint,
        Func<string, IEnumerable<string>>? keyOf = null,
        Func<string, bool>? optional = null,
        Func<string, Tensor, Tensor>? transform = null,
        Func<string, bool>? unusedAllowed = null)
    {
        var options = ModelLoadOptions.Current;
        keyOf ??= n => new[] { n };
        var problems = new List<string>();
        var plan = new List<(string ModuleName, Tensor Target, string Key)>();
        var missingOptional = new List<string>();
        foreach (var (name, target) in module.state_dict())
        {
            var key = keyOf(name).FirstOrDefault(checkpoint.Contains);
            if (key is null)
            {
                if (optional?.Invoke(name) == true) { missingOptional.Add(name); continue; }
                problems.Add($"missing tensor '{keyOf(name).First()}' (expected shape [{string.Join(",", target.shape)}])");
                continue;
            }
            plan.Add((name, target, key));
        }
        // Shapes are checked from headers before anything is read, unless a transform reshapes.
        if (transform is null)
            foreach (var (_, target, key) in plan)
            {
                var e = checkpoint.Entry(key)!;
                if (!e.Shape.SequenceEqual(target.shape))
                    problems.Add($"tensor '{key}' has shape [{string.Join(",", e.Shape)}], expected [{string.Join(",", target.shape)}]");
            }
        if (!options.AllowUnusedWeights)
        {
            var used = plan.Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
            var unused = checkpoint.Names.Where(n => !used.Contains(n) && !AlwaysUnused(n) && unusedAllowed?.Invoke(n) != true)
                .OrderBy(n => n, StringComparer.Ordinal).ToArray();
            if (unused.Length > 0)
                problems.Add($"{unused.Length} checkpoint tensor(s) not used by the model: " + string.Join(", ", unused.Take(ListedUnused)) +
                    (unused.Length > ListedUnused ? $", … ({unused.Length - ListedUnused} more)" : "") +
                    " (a different architecture or config? --allow-unused-weights loads anyway)");
        }
        if (problems.Count > 0)
            throw new InvalidDataException($"{checkpoint.Source}: checkpoint does not fit the model:\n  " + string.Join("\n  ", problems));

        var explicitDType = options.DType.ToScalarType();
        var modules = ModuleTensors.ModulesByName(module);
        using var _ = torch.no_grad();
        // Shard by shard, in file order: reads are sequential and each file's pages are touched once.
        var ordered = plan.OrderBy(p => checkpoint.FileOf(p.Key)!.Path, StringComparer.Ordinal)
            .ThenBy(p => checkpoint.Entry(p.Key)!.Begin).ToArray();
        foreach (var (name, target, key) in ordered)
        {
            var src = checkpoint.Read(key);
            try
            {
                if (transform is not null)
                {
                    var t = transform(name, src);
                    if (!ReferenceEquals(t, src)) { src.Dispose(); src = t; }
                    if (!src.shape.SequenceEqual(target.shape))
                    {
                        problems.Add($"tensor '{key}' has shape [{string.Join(",", src.shape)}], expected [{string.Join(",", target.shape)}]");
                        continue;
                    }
                }
                var dtype = WeightDTypes.IsFloatingWeight(target.dtype) && WeightDTypes.IsFloatingWeight(src.dtype)
                    ? explicitDType ?? checkpoint.DeclaredDType ?? src.dtype
                    : target.dtype;
                if (src.dtype != dtype)
                {
                    var converted = src.to_type(dtype);
                    src.Dispose();
                    src = converted;
                }
                if (EmptyModules.IsMeta(target) || target.dtype != dtype || target.device_type != DeviceType.CPU)
                {
                    var device = EmptyModules.IsMeta(target) ? CPU : target.device;
                    var value = device.type == DeviceType.CPU ? src : src.to(device);
                    if (!ReferenceEquals(value, src)) src.Dispose();
                    src = null!;
                    ModuleTensors.Replace(modules, name, value);
                }
                else
                {
                    target.copy_(src);
                }
            }
            finally
            {
                src?.Dispose();
            }
        }
        // Optional tensors absent from the checkpoint of a module built empty get storage (zeros).
        foreach (var name in missingOptional)
        {
            var target = module.state_dict()[name];
            if (!EmptyModules.IsMeta(target)) continue;
            var dtype = WeightDTypes.IsFloatingWeight(target.dtype) ? explicitDType ?? checkpoint.DeclaredDType ?? target.dtype : target.dtype;
            ModuleTensors.Replace(modules, name, zeros(target.shape, dtype, device: CPU));
        }
        if (problems.Count > 0)
            throw new InvalidDataException($"{checkpoint.Source}: checkpoint does not fit the model:\n  " + string.Join("\n  ", problems));
        var leftOnMeta = module.state_dict().Where(kv => EmptyModules.IsMeta(kv.Value)).Select(kv => kv.Key).ToArray();
        if (leftOnMeta.Length > 0)
            throw new InvalidOperationException($"{checkpoint.Source}: the model still has tensors without data after loading: {string.Join(", ", leftOnMeta)}");
    }
}
