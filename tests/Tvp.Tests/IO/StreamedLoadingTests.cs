using System.Text;
using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using Tvp.IO;
using static TorchSharp.torch;

namespace Tvp.Tests.IO;

/// <summary>
/// Tests that build modules on the meta device. TorchSharp's default device is process-wide, so they run alone
/// (not in parallel with other test classes, which create tensors without naming a device).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetaDeviceCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "meta device (runs alone)";
}

/// <summary>Modules built without weights, filled from safetensors in the chosen dtype; strict checkpoints.</summary>
[Collection(MetaDeviceCollection.Name)]
public class StreamedLoadingTests
{
    /// <summary>A module with a managed (Linear), a native-backed (Embedding) and a hand-made parameter.</summary>
    private sealed class Net : nn.Module
    {
        private readonly Linear proj;
        private readonly Embedding embed;
        private readonly Parameter scale;

        public Net() : base(nameof(Net))
        {
            proj = nn.Linear(6, 4);
            embed = nn.Embedding(10, 6);
            scale = new Parameter(ones(4));
            RegisterComponents();
        }

        public Tensor Forward(Tensor ids) => proj.forward(embed.forward(ids)) * scale; // [B, T, 4]
    }

    private static Dictionary<string, Tensor> RandomState(int seed)
    {
        var g = new Generator((ulong)seed);
        return new Dictionary<string, Tensor>
        {
            ["proj.weight"] = randn(new long[] { 4, 6 }, generator: g),
            ["proj.bias"] = randn(new long[] { 4 }, generator: g),
            ["embed.weight"] = randn(new long[] { 10, 6 }, generator: g),
            ["scale"] = rand(new long[] { 4 }, generator: g) + 0.5,
        };
    }

    private static Tensor Reference(Dictionary<string, Tensor> s, Tensor ids) =>
        (nn.functional.linear(s["embed.weight"].index_select(0, ids.flatten()).view(ids.shape[0], ids.shape[1], 6),
            s["proj.weight"], s["proj.bias"]) * s["scale"]);

    [Fact]
    public void A_module_built_empty_has_no_storage_and_loads_the_file_values_into_forward()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        var state = RandomState(1);
        SafeTensorFile.Write(dir.File("model.safetensors"), state);
        using var net = EmptyModules.Create(() => new Net());
        Assert.All(net.state_dict().Values, t => Assert.True(EmptyModules.IsMeta(t)));
        StateDictLoader.Load(net, Checkpoint.Open(dir.Path));
        Assert.All(net.state_dict().Values, t => Assert.Equal(DeviceType.CPU, t.device_type));
        var ids = tensor(new long[] { 1, 4, 9, 0, 3, 3 }).view(2, 3);
        using var _ = no_grad();
        var got = net.Forward(ids);
        Assert.Equal(0.0, (got - Reference(state, ids)).abs().max().item<float>(), 6);
        Assert.True(net.parameters().All(p => p.requires_grad), "parameters keep requires_grad");
    }

    [Theory]
    [InlineData(WeightDType.Auto, ScalarType.BFloat16)]      // stored dtype
    [InlineData(WeightDType.Float32, ScalarType.Float32)]
    [InlineData(WeightDType.Float16, ScalarType.Float16)]
    public void Weights_keep_the_stored_dtype_or_the_chosen_one(WeightDType choice, ScalarType expected)
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        var state = RandomState(2).ToDictionary(kv => kv.Key, kv => kv.Value.to_type(ScalarType.BFloat16));
        SafeTensorFile.Write(dir.File("model.safetensors"), state);
        using var net = EmptyModules.Create(() => new Net());
        using (ModelLoadOptions.Use(new ModelLoadOptions(choice)))
            StateDictLoader.Load(net, Checkpoint.Open(dir.Path));
        Assert.All(net.state_dict().Values, t => Assert.Equal(expected, t.dtype));
        // bf16 values are exact in float32 and float16 has more mantissa bits: the values are the stored ones.
        foreach (var (name, t) in net.state_dict())
            Assert.Equal(0.0, (t.to_type(ScalarType.Float32) - state[name].to_type(ScalarType.Float32)).abs().max().item<float>(), 2);
    }

    [Fact]
    public void Auto_follows_the_config_torch_dtype_and_a_normally_built_module_is_converted_too()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        SafeTensorFile.Write(dir.File("model.safetensors"), RandomState(3));                   // stored float32
        File.WriteAllText(dir.File("config.json"), JsonSerializer.Serialize(new { torch_dtype = "bfloat16" }));
        using var net = new Net();                                                              // built in float32, initialised
        StateDictLoader.Load(net, Checkpoint.Open(dir.Path));
        Assert.All(net.state_dict().Values, t => Assert.Equal(ScalarType.BFloat16, t.dtype));
        using var _ = no_grad();
        var y = net.Forward(tensor(new long[] { 1, 2 }).view(1, 2));                           // forward reads the new tensors
        Assert.Equal(ScalarType.BFloat16, y.dtype);
    }

    [Fact]
    public void Unused_checkpoint_tensors_are_an_error_listing_them_unless_allowed()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        var state = RandomState(4);
        state["extra.weight"] = zeros(3);
        state["model.layers.0.self_attn.rotary_emb.inv_freq"] = zeros(2);                       // always tolerated
        SafeTensorFile.Write(dir.File("model.safetensors"), state);
        using (var net = EmptyModules.Create(() => new Net()))
        {
            var e = Assert.Throws<InvalidDataException>(() => StateDictLoader.Load(net, Checkpoint.Open(dir.Path)));
            Assert.Contains("extra.weight", e.Message);
            Assert.Contains("--allow-unused-weights", e.Message);
            Assert.DoesNotContain("inv_freq", e.Message);
        }
        using (var net = EmptyModules.Create(() => new Net()))
            StateDictLoader.Load(net, Checkpoint.Open(dir.Path), unusedAllowed: k => k == "extra.weight");
        using (var net = EmptyModules.Create(() => new Net()))
        using (ModelLoadOptions.Use(new ModelLoadOptions(AllowUnusedWeights: true)))
            StateDictLoader.Load(net, Checkpoint.Open(dir.Path));
    }

    [Fact]
    public void Missing_and_misshapen_tensors_are_all_listed_before_anything_is_read()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        var state = RandomState(5);
        state.Remove("scale");
        state["proj.bias"] = zeros(5);
        SafeTensorFile.Write(dir.File("model.safetensors"), state);
        using var net = EmptyModules.Create(() => new Net());
        var e = Assert.Throws<InvalidDataException>(() => StateDictLoader.Load(net, Checkpoint.Open(dir.Path)));
        Assert.Contains("missing tensor 'scale'", e.Message);
        Assert.Contains("'proj.bias' has shape [5], expected [4]", e.Message);
    }

    /// <summary>Writes a safetensors file with hand-set data offsets.</summary>
    private static void WriteRaw(string path, int dataBytes, params (string Name, long Begin, long End)[] tensors)
    {
        var header = tensors.ToDictionary(t => t.Name, t => (object)new { dtype = "U8", shape = new[] { t.End - t.Begin }, data_offsets = new[] { t.Begin, t.End } });
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        using var f = File.Create(path);
        f.Write(BitConverter.GetBytes((ulong)json.Length));
        f.Write(json);
        f.Write(new byte[dataBytes]);
    }

    [Fact]
    public void Safetensors_offsets_must_tile_the_data_section()
    {
        using var dir = new TempDir();
        var p = dir.File("x.safetensors");
        WriteRaw(p, 8, ("a", 0, 4), ("b", 4, 8));
        Assert.Equal(2, new SafeTensorFile(p).Entries.Count);
        WriteRaw(p, 8, ("a", 0, 6), ("b", 4, 8));
        var e = Assert.Throws<InvalidDataException>(() => new SafeTensorFile(p));
        Assert.Contains("overlaps", e.Message);
        Assert.Contains("x.safetensors", e.Message);
        WriteRaw(p, 8, ("a", 0, 2), ("b", 4, 8));
        Assert.Contains("unused bytes", Assert.Throws<InvalidDataException>(() => new SafeTensorFile(p)).Message);
        WriteRaw(p, 12, ("a", 0, 4), ("b", 4, 8));
        Assert.Contains("trailing", Assert.Throws<InvalidDataException>(() => new SafeTensorFile(p)).Message);
    }

    [Fact]
    public void Dtype_flag_spellings_parse_and_a_bad_one_names_the_flag()
    {
        Assert.Equal(WeightDType.BFloat16, WeightDTypes.Parse("bf16"));
        Assert.Equal(WeightDType.Float16, WeightDTypes.Parse("float16"));
        Assert.Equal(WeightDType.Auto, WeightDTypes.Parse("AUTO"));
        var e = Assert.Throws<ArgumentException>(() => WeightDTypes.Parse("int8"));
        Assert.Contains("--dtype", e.Message);
    }
}
