using System.Reflection;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tvp.IO;

/// <summary>
/// Replaces one parameter or buffer of a module tree by another tensor (for example a meta placeholder by the
/// tensor read from a checkpoint, or a float32 weight by its bfloat16 copy). TorchSharp keeps a module's tensors
/// both in its registry and in the fields its <c>forward</c> reads, so both are updated, the same way
/// TorchSharp's own <c>Module.to(dtype)</c> does it (field scan + <c>ConditionallyRegisterParameter</c>).
/// </summary>
internal static class ModuleTensors
{
    private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;

    private static readonly MethodInfo RegisterParameter = Protected("ConditionallyRegisterParameter");
    private static readonly MethodInfo RegisterBuffer = Protected("ConditionallyRegisterBuffer");

    /// <summary>TorchSharp's protected (name, tensor[, persistent]) registration method of <see cref="nn.Module"/>.</summary>
    private static MethodInfo Protected(string name) =>
        typeof(nn.Module).GetMethods(Instance).Where(m => m.Name == name).Select(m => (m, p: m.GetParameters()))
            .Where(x => x.p.Length >= 2 && x.p[0].ParameterType == typeof(string) && x.p[1].ParameterType == typeof(Tensor)
                        && x.p.Skip(2).All(q => q.HasDefaultValue))
            .OrderBy(x => x.p.Length).Select(x => x.m).FirstOrDefault()
        ?? throw new MissingMethodException($"TorchSharp nn.Module.{name}(string, Tensor) not found (TorchSharp version changed?)");

    private static object?[] Arguments(MethodInfo m, string name, Tensor value) =>
        new object?[] { name, value }.Concat(m.GetParameters().Skip(2).Select(p => p.DefaultValue)).ToArray();

    /// <summary>The most derived public settable instance property of that name (null when none).</summary>
    private static PropertyInfo? PublicSetter(Type type, string name)
    {
        for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
            if (t.GetProperty(name, BindingFlags.Instance | BindingFlags.Public | BindingFlags.DeclaredOnly) is { } p)
                return p.GetSetMethod() is not null ? p : null;
        return null;
    }

    /// <summary>Every submodule by its dotted name ("" = the root).</summary>
    public static Dictionary<string, nn.Module> ModulesByName(nn.Module root)
    {
        var map = new Dictionary<string, nn.Module>(StringComparer.Ordinal) { [""] = root };
        foreach (var (name, m) in root.named_modules())
            if (name.Length > 0) map[name] = m;
        return map;
    }

    /// <summary>
    /// Puts <paramref name="value"/> in place of the state entry <paramref name="name"/> (dotted, as in
    /// <c>state_dict()</c>), keeping whether it was a parameter (and its <c>requires_grad</c>) or a buffer. The old
    /// tensor is disposed. <paramref name="value"/> is owned by the module afterwards.
    /// </summary>
    public static void Replace(IReadOnlyDictionary<string, nn.Module> modules, string name, Tensor value)
    {
        int dot = name.LastIndexOf('.');
        var owner = modules[dot < 0 ? "" : name[..dot]];
        var local = dot < 0 ? name : name[(dot + 1)..];
        Tensor? old = null;
        bool isParameter = false;
        foreach (var (n, p) in owner.named_parameters(recurse: false))
            if (n == local) { old = p; isParameter = true; break; }
        if (old is null)
            foreach (var (n, b) in owner.named_buffers(recurse: false))
                if (n == local) { old = b; break; }
        if (old is null) throw new KeyNotFoundException($"module has no parameter or buffer '{name}'");

        var oldHandle = old.Handle;
        Tensor replacement = isParameter ? new Parameter(value, (old as Parameter)!.requires_grad) : value;
        replacement = replacement.DetachFromDisposeScope();
        // Modules backed by a native libtorch module (e.g. Embedding) read their weight there: their public
        // property setter (e.g. Embedding.weight) hands the new tensor to the native module too.
        var property = PublicSetter(owner.GetType(), local);
        if (property is not null && property.PropertyType.IsInstanceOfType(replacement))
            property.SetValue(owner, replacement);
        // Fields that hold the old tensor (the same native handle) now hold the new one.
        for (var type = owner.GetType(); type is not null && type != typeof(object); type = type.BaseType)
            foreach (var field in type.GetFields(Instance | BindingFlags.DeclaredOnly))
                if (field.GetValue(owner) is Tensor t && !t.IsInvalid && t.Handle == oldHandle && typeof(Tensor).IsAssignableFrom(field.FieldType)
                    && field.FieldType.IsInstanceOfType(replacement))
                    field.SetValue(owner, replacement);
        var register = isParameter ? RegisterParameter : RegisterBuffer;
        register.Invoke(owner, Arguments(register, local, replacement));
        old.Dispose();
    }
}
