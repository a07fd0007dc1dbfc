using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Tvp.Models.Onnx;

/// <summary>A graph input or output: name, element type and dims (numbers, or symbolic names such as "batch").</summary>
/// <param name="Name">The value's name in the graph.</param>
/// <param name="ElementType">ONNX element type, lower case (float, int64, ...).</param>
/// <param name="Dims">One entry per dim: a number, a symbolic name, or "?" when unknown.</param>
public sealed record OnnxValueInfo(string Name, string ElementType, IReadOnlyList<string> Dims)
{
    /// <summary>"name float [1,3,224,224]".</summary>
    public override string ToString() => $"{Name} {ElementType} [{string.Join(",", Dims)}]";
}

/// <summary>
/// An ONNX model run as TorchSharp operations, so gradients flow from its outputs back to its inputs (for
/// example, to the pixels of a visual prompt). Initializers become frozen tensors on the chosen device;
/// Constant nodes and nodes whose inputs are all constant are folded once at load, BatchNormalization is folded into
/// the Conv before it and a Relu into the Conv or Add before it (<c>BatchNormFolding</c>, <c>ReluFusion</c>); where no
/// gradient is tracked, convolutions run channels-last (<c>ChannelsLastLayout</c>). <c>Run</c>
/// executes the nodes needed for the requested outputs in topological order and disposes each intermediate
/// tensor as soon as its last consumer has run (autograd keeps what it needs for the backward pass).
/// </summary>
public sealed class OnnxGraph : IDisposable
{
    private readonly List<NodeProto> _nodes;
    private readonly Dictionary<string, Tensor> _constants;
    private readonly Dictionary<string, NodeProto> _producer = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Tensor> _channelsLast = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Tensor> _winograd = new(StringComparer.Ordinal); // by node output (see WinogradConv)
    private bool _disposed;

    /// <summary>Where the model came from (file path or resource name), used in messages.</summary>
    public string Source { get; }

    /// <summary>The device the constants live on and the graph runs on.</summary>
    public Device Device { get; }

    /// <summary>Opset version of the default ONNX domain.</summary>
    public long Opset { get; }

    /// <summary>The producer recorded in the model (e.g. "CNTK 2.6", "pytorch 1.10").</summary>
    public string Producer { get; }

    /// <summary>Graph inputs the caller feeds (initializers excluded).</summary>
    public IReadOnlyList<OnnxValueInfo> Inputs { get; }

    /// <summary>Graph outputs.</summary>
    public IReadOnlyList<OnnxValueInfo> Outputs { get; }

    /// <summary>Distinct op types of the model as loaded (before folding), sorted.</summary>
    public IReadOnlyList<string> OpTypes { get; }

    /// <summary>Conv + BatchNormalization pairs folded into one Conv at import.</summary>
    public int FoldedBatchNorms { get; }

    /// <summary>Conv or Add + Relu pairs fused into one node at import.</summary>
    public int FusedRelus { get; }

    /// <summary>Conv weights that also have a channels-last copy, used when no gradient is tracked (see <c>ChannelsLastLayout</c>).</summary>
    public int ChannelsLastWeights => _channelsLast.Count;

    /// <summary>Conv nodes that run as Winograd F(2×2, 3×3) when no gradient is tracked (see <c>WinogradConv</c>).</summary>
    public int WinogradConvs => _winograd.Count;

    /// <summary>Elements of the Winograd-transformed weights held next to the originals.</summary>
    public long WinogradElements => _winograd.Values.Sum(t => t.numel());

    /// <summary>Nodes left to run after constant folding.</summary>
    public int NodeCount => _nodes.Count;

    /// <summary>Number of constant elements (weights) held on the device.</summary>
    public long ConstantElements => _constants.Values.Sum(t => t.numel());

    /// <summary>When set, every run adds its time per op type here (benchmarks; null costs nothing).</summary>
    internal OnnxProfile? Profile { get; set; }

    /// <summary>The op types this importer implements.</summary>
    public static IReadOnlyCollection<string> SupportedOps => (IReadOnlyCollection<string>)OnnxOps.All.Keys;

    private OnnxGraph(ModelProto model, Device device, string source)
    {
        Source = source;
        Device = device;
        Producer = $"{model.ProducerName} {model.ProducerVersion}".Trim();
        var graph = model.Graph ?? throw new InvalidDataException($"{source}: the ONNX model has no graph");
        Opset = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(1).Max();
        OpTypes = graph.Node.Select(n => n.OpType).Distinct().OrderBy(s => s, StringComparer.Ordinal).ToArray();
        CheckSupported(graph, source);

        _constants = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var init in graph.Initializer)
                _constants[init.Name] = Frozen(OnnxTensorReader.Read(init, device, source));
            Inputs = graph.Input.Where(i => !_constants.ContainsKey(i.Name)).Select(Describe).ToArray();
            Outputs = graph.Output.Select(Describe).ToArray();
            _nodes = TopologicalOrder(graph, source);
            FoldConstants();
            FoldedBatchNorms = BatchNormFolding.Fold(_nodes, _constants, Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal));
            DropUnusedConstants();
            FusedRelus = ReluFusion.Fuse(_nodes, Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal));
            _winograd = WinogradConv.Weights(_nodes, _constants);
            _channelsLast = ChannelsLastLayout.ConvWeights(_nodes, _constants, otherwise: n => _winograd.ContainsKey(n.Output[0]));
        }
        catch
        {
            foreach (var t in _constants.Values) t.Dispose();
            foreach (var t in _channelsLast.Values) t.Dispose();
            foreach (var t in _winograd.Values) t.Dispose();
            throw;
        }
        foreach (var node in _nodes)
            foreach (var o in node.Output)
                if (o.Length > 0) _producer[o] = node;
    }

    /// <summary>Reads an .onnx file onto <paramref name="device"/> (CPU when null).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid ONNX model.</exception>
    /// <exception cref="NotSupportedException">The model uses an op this importer does not implement (named with its node).</exception>
    public static OnnxGraph Load(string path, Device? device = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"ONNX model not found: {path}", path);
        using var stream = File.OpenRead(path);
        return Load(stream, path, device);
    }

    /// <summary>Reads an ONNX model from a stream; <paramref name="source"/> names it in messages.</summary>
    public static OnnxGraph Load(Stream stream, string source, Device? device = null)
    {
        ModelProto model;
        try { model = ModelProto.Parser.ParseFrom(stream); }
        catch (Google.Protobuf.InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{source}: not a valid ONNX model ({e.Message})", e);
        }
        return FromModel(model, source, device);
    }

    /// <summary>Builds a graph from an already parsed model (tests build small models this way).</summary>
    internal static OnnxGraph FromModel(ModelProto model, string source, Device? device = null)
    {
        using var _ = torch.no_grad();
        return new OnnxGraph(model, device ?? CPU, source);
    }

    private static void CheckSupported(GraphProto graph, string source)
    {
        var bad = graph.Node
            .Where(n => !(n.Domain is "" or "ai.onnx") || !OnnxOps.All.ContainsKey(n.OpType))
            .GroupBy(n => (n.Domain, n.OpType))
            .Select(g => (Op: g.Key.Domain is "" or "ai.onnx" ? g.Key.OpType : $"{g.Key.Domain}.{g.Key.OpType}", Node: NodeName(g.First())))
            .ToList();
        if (bad.Count == 0) return;
        var also = bad.Count > 1 ? $" (also unsupported: {string.Join(", ", bad.Skip(1).Select(b => $"'{b.Op}' (node '{b.Node}')"))})" : "";
        throw new NotSupportedException(
            $"ONNX op '{bad[0].Op}' (node '{bad[0].Node}') in {source} is not supported{also}; supported: {OnnxOps.SupportedList}");
    }

    private static string NodeName(NodeProto n) => n.Name.Length > 0 ? n.Name : (n.Output.Count > 0 ? n.Output[0] : "?");

    private static Tensor Frozen(Tensor t)
    {
        t.requires_grad = false;
        t.DetachFromDisposeScope();
        return t;
    }

    private static OnnxValueInfo Describe(ValueInfoProto v)
    {
        var tt = v.Type?.TensorType;
        var elem = tt is null ? "?" : ((TensorProto.Types.DataType)tt.ElemType).ToString().ToLowerInvariant();
        var dims = tt?.Shape?.Dim.Select(d => d.ValueCase switch
        {
            TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue => d.DimValue.ToString(),
            TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam => d.DimParam,
            _ => "?",
        }).ToArray() ?? Array.Empty<string>();
        return new OnnxValueInfo(v.Name, elem, dims);
    }

    /// <summary>Kahn's algorithm over value names (exporters are meant to emit sorted nodes; not all do).</summary>
    private List<NodeProto> TopologicalOrder(GraphProto graph, string source)
    {
        var available = new HashSet<string>(_constants.Keys, StringComparer.Ordinal) { "" };
        foreach (var i in graph.Input) available.Add(i.Name);
        var pending = graph.Node.ToList();
        var order = new List<NodeProto>(pending.Count);
        while (pending.Count > 0)
        {
            var ready = pending.Where(n => n.Input.All(available.Contains)).ToList();
            if (ready.Count == 0)
            {
                var stuck = pending[0];
                var missing = stuck.Input.First(i => !available.Contains(i));
                throw new InvalidDataException($"{source}: node '{NodeName(stuck)}' ({stuck.OpType}) needs '{missing}', which no node, input or initializer produces (or the graph has a cycle)");
            }
            foreach (var n in ready)
            {
                order.Add(n);
                foreach (var o in n.Output) available.Add(o);
            }
            var readySet = ready.ToHashSet();
            pending.RemoveAll(readySet.Contains);
        }
        return order;
    }

    /// <summary>Runs every node whose inputs are all constants once, keeping its outputs as constants.</summary>
    private void FoldConstants()
    {
        var folded = new List<NodeProto>();
        foreach (var node in _nodes)
        {
            if (!node.Input.All(i => i.Length == 0 || _constants.ContainsKey(i))) continue;
            var inputs = node.Input.Select(i => i.Length == 0 ? null : _constants[i]).ToArray();
            var outputs = Execute(node, inputs);
            for (int k = 0; k < outputs.Length; k++)
            {
                if (k < node.Output.Count && node.Output[k].Length > 0) _constants[node.Output[k]] = Frozen(outputs[k]);
                else outputs[k].Dispose();
            }
            folded.Add(node);
        }
        var done = folded.ToHashSet();
        _nodes.RemoveAll(done.Contains);
        DropUnusedConstants();
    }

    /// <summary>Drops constants nothing needs any more (e.g. the operands of folded nodes).</summary>
    private void DropUnusedConstants()
    {
        var used = new HashSet<string>(_nodes.SelectMany(n => n.Input), StringComparer.Ordinal);
        foreach (var o in Outputs) used.Add(o.Name);
        foreach (var name in _constants.Keys.Where(k => !used.Contains(k)).ToList())
        {
            _constants[name].Dispose();
            _constants.Remove(name);
        }
    }

    /// <summary>Runs one node; its outputs are new tensors (never one of its inputs), moved out of the node's dispose scope.</summary>
    private Tensor[] Execute(NodeProto node, Tensor?[] inputs)
    {
        var (opType, relu) = ReluFusion.Split(node.OpType);
        var op = OnnxOps.All[opType];
        var context = new OnnxNodeContext(node, inputs, Opset, Device, Source);
        using var scope = NewDisposeScope();
        Tensor[] outputs;
        try
        {
            outputs = op(context);
            if (relu) outputs[0] = ReluFusion.Apply(outputs[0]);
        }
        catch (Exception e) when (e is not (NotSupportedException or InvalidDataException))
        {
            throw new InvalidOperationException($"ONNX op '{node.OpType}' (node '{NodeName(node)}') in {Source} failed: {e.Message}", e);
        }
        for (int k = 0; k < outputs.Length; k++)
        {
            if (inputs.Any(i => ReferenceEquals(i, outputs[k]))) outputs[k] = outputs[k].alias();
            outputs[k].MoveToOuterDisposeScope();
        }
        return outputs;
    }

    /// <summary>A Conv node selected at import for <see cref="WinogradConv"/>, with its fused ReLU.</summary>
    private Tensor[] ExecuteWinograd(NodeProto node, Tensor x, Tensor transformed, Tensor? bias)
    {
        if (x.shape[1] != transformed.shape[1])
            throw new InvalidDataException($"{Source}: Conv node '{NodeName(node)}' has input [{string.Join(",", x.shape)}] but its weight has {transformed.shape[1]} input channels");
        var y = WinogradConv.Forward(x, transformed, bias);
        return new[] { ReluFusion.Split(node.OpType).Relu ? ReluFusion.Apply(y) : y };
    }

    /// <summary>
    /// Runs the graph. <paramref name="inputs"/> maps input names to tensors (converted to the declared element
    /// type when they differ; moved to <see cref="Device"/> when elsewhere). Returns the requested outputs (all
    /// graph outputs when <paramref name="outputs"/> is null; any intermediate value name may be asked for).
    /// The caller owns the returned tensors; the inputs are not disposed.
    /// </summary>
    /// <exception cref="ArgumentException">A required input is missing or an output name is unknown.</exception>
    public Dictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs, IEnumerable<string>? outputs = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var profile = Profile;
        long runStart = OnnxProfile.Now();
        var inNodes = TimeSpan.Zero;
        var wanted = (outputs ?? Outputs.Select(o => o.Name)).Distinct().ToList();
        var owned = new Dictionary<string, Tensor>(StringComparer.Ordinal);   // tensors this run created
        var fed = new Dictionary<string, Tensor>(StringComparer.Ordinal);     // caller's tensors
        try
        {
            foreach (var info in Inputs)
            {
                if (!inputs.TryGetValue(info.Name, out var t)) continue;
                var prepared = Prepare(t, info);
                if (ReferenceEquals(prepared, t)) fed[info.Name] = t; else owned[info.Name] = prepared;
            }
            var plan = Plan(wanted, inputs);
            var uses = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var node in plan)
                foreach (var i in node.Input)
                    if (i.Length > 0) uses[i] = uses.GetValueOrDefault(i) + 1;
            var keep = wanted.ToHashSet(StringComparer.Ordinal);

            foreach (var node in plan)
            {
                var args = node.Input.Select(i => i.Length == 0 ? null : Lookup(i, owned, fed)).ToArray();
                if (_channelsLast.Count > 0 && IsConv(node.OpType) && args[0] is { } x && ChannelsLastLayout.Pays(x) && _channelsLast.TryGetValue(node.Input[1], out var nhwc))
                    args[1] = nhwc; // no backward through this conv: channels-last weights (see ChannelsLastLayout)
                long nodeStart = profile is null ? 0 : OnnxProfile.Now();
                var results = _winograd.TryGetValue(node.Output[0], out var u) && args[0] is { } xw && WinogradConv.Applies(xw)
                    ? ExecuteWinograd(node, xw, u, args.Length > 2 ? args[2] : null)
                    : Execute(node, args);
                if (profile is not null)
                {
                    var took = OnnxProfile.Since(nodeStart);
                    profile.Record(profile.ByShape ? $"{node.OpType} {string.Join(" ", args.Take(2).Select(a => a is null ? "-" : $"[{string.Join(",", a.shape)}]"))}" : node.OpType, took);
                    inNodes += took;
                }
                for (int k = 0; k < results.Length; k++)
                {
                    var name = k < node.Output.Count ? node.Output[k] : "";
                    if (name.Length == 0 || (!uses.ContainsKey(name) && !keep.Contains(name))) { results[k].Dispose(); continue; }
                    owned[name] = results[k];
                }
                foreach (var i in node.Input)
                {
                    if (i.Length == 0 || --uses[i] > 0 || keep.Contains(i)) continue;
                    if (owned.Remove(i, out var dead)) dead.Dispose();
                }
            }

            var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var name in wanted)
            {
                if (owned.Remove(name, out var t)) result[name] = StandardLayout(t);
                else result[name] = Lookup(name, owned, fed).alias(); // a constant or an input passed straight through
            }
            return result;
        }
        finally
        {
            foreach (var t in owned.Values) t.Dispose();
            profile?.RecordRun(OnnxProfile.Since(runStart), inNodes);
        }
    }

    /// <summary>Outputs leave in the standard (contiguous NCHW) layout: callers may view or read them directly.</summary>
    private static Tensor StandardLayout(Tensor t)
    {
        if (t.is_contiguous()) return t;
        var c = t.contiguous();
        t.Dispose();
        return c;
    }

    /// <summary>True for a Conv node, fused or not.</summary>
    internal static bool IsConv(string opType) => ReluFusion.Split(opType).Op == "Conv";

    /// <summary>Runs the graph and returns its single (or first) output.</summary>
    public Tensor Run(string inputName, Tensor input, string? outputName = null)
    {
        var name = outputName ?? Outputs[0].Name;
        var result = Run(new Dictionary<string, Tensor> { [inputName] = input }, new[] { name });
        return result[name];
    }

    private Tensor Prepare(Tensor t, OnnxValueInfo info)
    {
        Tensor x = t;
        if (x.device.type != Device.type || x.device.index != Device.index) x = x.to(Device);
        ScalarType? want = info.ElementType switch
        {
            "float" => ScalarType.Float32,
            "int64" => ScalarType.Int64,
            "int32" => ScalarType.Int32,
            "double" => ScalarType.Float64,
            "bool" => ScalarType.Bool,
            _ => null,
        };
        if (want is { } w && x.dtype != w)
        {
            var cast = x.to_type(w);
            if (!ReferenceEquals(x, t)) x.Dispose();
            x = cast;
        }
        return x;
    }

    private Tensor Lookup(string name, Dictionary<string, Tensor> owned, Dictionary<string, Tensor> fed)
    {
        if (owned.TryGetValue(name, out var t) || fed.TryGetValue(name, out t) || _constants.TryGetValue(name, out t)) return t;
        throw new InvalidOperationException($"{Source}: value '{name}' is not available (internal ordering error)");
    }

    /// <summary>The nodes needed for <paramref name="wanted"/>, in execution order.</summary>
    private List<NodeProto> Plan(List<string> wanted, IReadOnlyDictionary<string, Tensor> inputs)
    {
        var needed = new HashSet<NodeProto>();
        var stack = new Stack<string>(wanted);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (stack.Count > 0)
        {
            var name = stack.Pop();
            if (name.Length == 0 || !seen.Add(name) || _constants.ContainsKey(name)) continue;
            if (_producer.TryGetValue(name, out var node))
            {
                if (needed.Add(node)) foreach (var i in node.Input) stack.Push(i);
                continue;
            }
            if (Inputs.Any(i => i.Name == name))
            {
                if (!inputs.ContainsKey(name))
                    throw new ArgumentException($"{Source}: input '{name}' is required (inputs: {string.Join(", ", Inputs)})");
                continue;
            }
            throw new ArgumentException($"{Source}: no value named '{name}' (outputs: {string.Join(", ", Outputs.Select(o => o.Name))})");
        }
        return _nodes.Where(needed.Contains).ToList();
    }

    /// <summary>Frees the constants.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var t in _constants.Values) t.Dispose();
        _constants.Clear();
        foreach (var t in _channelsLast.Values) t.Dispose();
        _channelsLast.Clear();
        foreach (var t in _winograd.Values) t.Dispose();
        _winograd.Clear();
    }
}
