using TorchSharp;
using static TorchSharp.torch;

namespace Tvp.IO;

/// <summary>
/// Copies a checkpoint into a module's parameters and buffers, checking every expected tensor's name
/// and shape first and reporting ALL problems at once (missing tensors, wrong shapes), naming the file.
/// </summary>
public static class StateDictLoader
{
    /// <summary>
    /// Loads <paramref name="checkpoint"/> into <paramref name="module"/>.
    /// </summary>
    /// <param name="module">Target module; its <c>state_dict()</c> names are the expected names.</param>
    /// <param name="checkpoint">Source tensors.</param>
    /// <param name="keyOf">Maps a module name to the checkpoint name (or several candidates, first found wins); identity when null.</param>
    /// <param name="optional">Module names allowed to be missing from the checkpoint (they keep their initial values).</param>
    /// <param name="transform">Optional per-tensor transform applied after reading (e.g. a reshape), given the module name.</param>
    /// <exception cref="InvalidDataException">Some tensors are missing or have the wrong shape (message lists them all).</exception>
    public static void Load(nn.Module module, Checkpoint checkpoint,
        Func<string, IEnumerable<string>>? keyOf = null,
        Func<string, bool>? optional = null,
        Func<string, Tensor, Tensor>? transform = null)
    {
        keyOf ??= n => new[] { n };
        var problems = new List<string>();
        var plan = new List<(string moduleName, Tensor target, string key)>();
        foreach (var (name, target) in module.state_dict())
        {
            var key = keyOf(name).FirstOrDefault(checkpoint.Contains);
            if (key is null)
            {
                if (optional?.Invoke(name) == true) continue;
                problems.Add($"missing tensor '{keyOf(name).First()}' (expected shape [{string.Join(",", target.shape)}])");
                continue;
            }
            plan.Add((name, target, key));
        }
        // Shapes are checked from headers before anything is read, unless a transform reshapes.
        foreach (var (name, target, key) in plan)
        {
            if (transform is not null) continue;
            var e = checkpoint.Entry(key)!;
            if (!e.Shape.SequenceEqual(target.shape))
                problems.Add($"tensor '{key}' has shape [{string.Join(",", e.Shape)}], expected [{string.Join(",", target.shape)}]");
        }
        if (problems.Count > 0)
            throw new InvalidDataException($"{checkpoint.Source}: checkpoint does not fit the model:\n  " + string.Join("\n  ", problems));
        using var _ = torch.no_grad();
        foreach (var (name, target, key) in plan)
        {
            using var scope = torch.NewDisposeScope();
            var src = checkpoint.ReadFloat(key);
            if (transform is not null) src = transform(name, src);
            if (!src.shape.SequenceEqual(target.shape))
            {
                problems.Add($"tensor '{key}' has shape [{string.Join(",", src.shape)}], expected [{string.Join(",", target.shape)}]");
                continue;
            }
            target.copy_(src.to(target.dtype));
        }
        if (problems.Count > 0)
            throw new InvalidDataException($"{checkpoint.Source}: checkpoint does not fit the model:\n  " + string.Join("\n  ", problems));
    }
}
