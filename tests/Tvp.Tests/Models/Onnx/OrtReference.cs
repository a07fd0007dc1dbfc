using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace Tvp.Tests.Models.Onnx;

/// <summary>Runs a model with ONNX Runtime (CPU) — the reference the importer must match.</summary>
internal sealed class OrtReference : IDisposable
{
    private readonly InferenceSession _session;

    public OrtReference(string path) => _session = new InferenceSession(path, Options());
    public OrtReference(byte[] model) => _session = new InferenceSession(model, Options());

    private static SessionOptions Options() => new() { IntraOpNumThreads = 2, GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };

    /// <summary>Runs with float32/int64 torch tensors as inputs; returns the named outputs as float32 CPU tensors.</summary>
    public Dictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs, params string[] outputs)
    {
        var values = new List<OrtValue>();
        try
        {
            foreach (var (name, t) in inputs)
            {
                using var c = t.cpu().contiguous();
                values.Add(c.dtype switch
                {
                    ScalarType.Float32 => OrtValue.CreateTensorValueFromMemory(c.data<float>().ToArray(), c.shape),
                    ScalarType.Int64 => OrtValue.CreateTensorValueFromMemory(c.data<long>().ToArray(), c.shape),
                    var d => throw new NotSupportedException($"ORT reference input dtype {d}"),
                });
            }
            using var options = new RunOptions();
            using var results = _session.Run(options, inputs.Keys.ToArray(), values, outputs);
            var dict = new Dictionary<string, Tensor>();
            for (int i = 0; i < outputs.Length; i++)
            {
                var shape = results[i].GetTensorTypeAndShape().Shape;
                dict[outputs[i]] = tensor(results[i].GetTensorDataAsSpan<float>().ToArray(), shape);
            }
            return dict;
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    public Tensor Run(string input, Tensor x, string output) =>
        Run(new Dictionary<string, Tensor> { [input] = x }, output)[output];

    public void Dispose() => _session.Dispose();

    /// <summary>Largest absolute difference between two tensors of the same shape.</summary>
    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        Assert.Equal(a.shape, b.shape);
        using var d = (a.detach().cpu() - b.detach().cpu()).abs().max();
        return d.item<float>();
    }
}
