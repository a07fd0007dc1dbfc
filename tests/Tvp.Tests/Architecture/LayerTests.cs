using NetArchTest.Rules;
using Xunit.Abstractions;

namespace Tvp.Tests.Architecture;

/// <summary>
/// The layers of docs/ARCHITECTURE.md, checked on the compiled assemblies (NetArchTest reads every type reference in
/// signatures and method bodies): IO → Data → Prompts → Models → Training/Evaluation → Experiments → Demo, Server,
/// CLI. A namespace may depend only on its own layer's namespaces or earlier ones; Evaluation does not depend on
/// Training (the trainer validates through Evaluation, never the other way round).
/// </summary>
public sealed class LayerTests(ITestOutputHelper output)
{
    /// <summary>The layers, first to last; a namespace belongs to the layer of its longest matching prefix.</summary>
    public static readonly string[][] Layers =
    {
        new[] { "Tvp.IO" },
        new[] { "Tvp.Data" },
        new[] { "Tvp.Prompts" },
        new[] { "Tvp.Models" },
        new[] { "Tvp.Evaluation" },
        new[] { "Tvp.Training" },
        new[] { "Tvp.Experiments" },
        new[] { "Tvp.Demo", "Tvp.Server" },
        new[] { "Tvp.Cli" },
    };

    private static readonly System.Reflection.Assembly[] Assemblies =
    {
        typeof(Tvp.Models.IPromptableModel).Assembly,
        typeof(Tvp.Demo.DemoFamilies).Assembly,
        typeof(Tvp.Server.ProxyServer).Assembly,
        typeof(Tvp.Cli.CliApp).Assembly,
    };

    public static IEnumerable<object[]> LayerIndices() => Enumerable.Range(0, Layers.Length - 1).Select(i => new object[] { i });

    [Theory]
    [MemberData(nameof(LayerIndices))]
    public void ALayerDependsOnlyOnEarlierLayers(int layer)
    {
        var later = Layers.Skip(layer + 1).SelectMany(l => l).ToArray();
        var failing = new List<string>();
        foreach (var ns in Layers[layer])
        {
            var result = Types.InAssemblies(Assemblies).That().ResideInNamespace(ns)
                .ShouldNot().HaveDependencyOnAny(later).GetResult();
            failing.AddRange(result.FailingTypeNames ?? Enumerable.Empty<string>());
        }
        foreach (var t in failing) output.WriteLine(t);
        Assert.True(failing.Count == 0, $"types in layer {string.Join("/", Layers[layer])} that depend on a later layer ({string.Join(", ", later)}): {string.Join(", ", failing)}");
    }

    [Fact]
    public void EvaluationDoesNotDependOnTraining()
    {
        var result = Types.InAssemblies(Assemblies).That().ResideInNamespace("Tvp.Evaluation")
            .ShouldNot().HaveDependencyOn("Tvp.Training").GetResult();
        Assert.True(result.IsSuccessful, "Tvp.Evaluation types that use Tvp.Training: " + string.Join(", ", result.FailingTypeNames ?? Array.Empty<string>()));
    }

    [Fact]
    public void TheCheckSeesKnownDependencies()
    {
        // The rule engine must see references in method bodies and signatures, or the layer tests prove nothing:
        // the trainer calls the candidate scorer (Evaluation) and takes IPromptableModel (Models).
        var trainer = Types.InAssemblies(Assemblies).That().HaveName("PromptTrainer");
        Assert.False(trainer.ShouldNot().HaveDependencyOn("Tvp.Evaluation").GetResult().IsSuccessful);
        Assert.False(Types.InAssemblies(Assemblies).That().HaveName("PromptTrainer").ShouldNot().HaveDependencyOn("Tvp.Models").GetResult().IsSuccessful);
    }

    [Fact]
    public void TheNamespaceGraphHasNoCycles()
    {
        // Edges between the layer namespaces (and the library's family folders), printed for the record.
        var names = Layers.SelectMany(l => l).ToArray();
        var edges = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var a in names)
        {
            edges[a] = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var b in names.Where(b => b != a))
                if (Types.InAssemblies(Assemblies).That().ResideInNamespace(a).And().HaveDependencyOn(b).GetTypes().Any())
                    edges[a].Add(b);
        }
        foreach (var (a, bs) in edges) output.WriteLine($"{a} -> {string.Join(", ", bs)}");
        var cycles = edges.SelectMany(e => e.Value.Where(b => string.CompareOrdinal(e.Key, b) < 0 && edges[b].Contains(e.Key)).Select(b => $"{e.Key} <-> {b}")).ToArray();
        Assert.True(cycles.Length == 0, "namespace cycles: " + string.Join(", ", cycles));
    }

    [Fact]
    public void EveryNamespaceIsInALayer()
    {
        var all = Layers.SelectMany(l => l).ToArray();
        var stray = Assemblies.SelectMany(a => a.GetTypes()).Select(t => t.Namespace).Where(n => n is not null && n.StartsWith("Tvp", StringComparison.Ordinal))
            .Distinct().Where(n => n != "Tvp" && !all.Any(p => n == p || n!.StartsWith(p + ".", StringComparison.Ordinal))).ToArray();
        Assert.True(stray.Length == 0, "namespaces outside every layer: " + string.Join(", ", stray));
    }

    [Fact]
    public void TheCliAndTheServerSeeOnlyTheLibrarysPublicSurface()
    {
        var library = typeof(Tvp.Models.IPromptableModel).Assembly;
        var friends = library.GetCustomAttributes(typeof(System.Runtime.CompilerServices.InternalsVisibleToAttribute), false)
            .Cast<System.Runtime.CompilerServices.InternalsVisibleToAttribute>().Select(a => a.AssemblyName).ToArray();
        Assert.DoesNotContain("Tvp.Cli", friends);
        Assert.DoesNotContain("Tvp.Server", friends);
        Assert.DoesNotContain("Tvp.Demo", friends);
    }
}
