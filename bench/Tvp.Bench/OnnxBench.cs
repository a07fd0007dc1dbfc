using System.Diagnostics;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using Tvp.Models.Onnx;
using static TorchSharp.torch;

namespace Tvp.Bench;

/// <summary>
/// Forward speed of the imported NuGet ResNet-18 (TorchSharp, CPU) against ONNX Runtime (CPU) on the same
/// batch. Usage: onnx [batch=16] [iterations=5]. The model declares batch 1, so ORT gets a copy whose input
/// and output batch dim is made symbolic.
/// </summary>
public static class OnnxBench
{
    public static int Run(string[] args)
    {
        int batch = args.Length > 0 ? int.Parse(args[0]) : 16;
        int iterations = args.Length > 1 ? int.Parse(args[1]) : 5;
        Compare(batch, iterations);
        return 0;
    }

    /// <summary>Imported and ONNX Runtime images/s (median of <paramref name="iterations"/>) and their largest output difference.</summary>
    public static (double Imported, double OnnxRuntime, double MaxAbsDifference) Compare(int batch, int iterations)
    {
        var path = OnnxAssets.ResNet18Path();

        var sw = Stopwatch.StartNew();
        using var graph = OnnxGraph.Load(path);
        Console.WriteLine($"import: {sw.Elapsed.TotalSeconds:F2} s ({graph.NodeCount} nodes, {graph.ConstantElements / 1e6:F1} M weights), torch threads {get_num_threads()}");

        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        foreach (var v in model.Graph.Input.Concat(model.Graph.Output))
            v.Type.TensorType.Shape.Dim[0] = new TensorShapeProto.Types.Dimension { DimParam = "N" };
        model.Graph.ValueInfo.Clear();
        using var options = new SessionOptions { IntraOpNumThreads = Environment.ProcessorCount };
        sw.Restart();
        using var session = new InferenceSession(model.ToByteArray(), options);
        Console.WriteLine($"ORT session: {sw.Elapsed.TotalSeconds:F2} s, {Environment.ProcessorCount} intra-op threads");

        var gen = new Generator(1);
        using var x = rand(new long[] { batch, 3, 224, 224 }, generator: gen) * 255f - 120f;
        var data = x.data<float>().ToArray();
        using var ortInput = OrtValue.CreateTensorValueFromMemory(data, x.shape);
        using var runOptions = new RunOptions();

        float[] RunOrt()
        {
            using var r = session.Run(runOptions, new[] { "Input247" }, new[] { ortInput }, new[] { "Pooling395_Output_0" });
            return r[0].GetTensorDataAsSpan<float>().ToArray();
        }
        float[] RunOurs()
        {
            using var _ = no_grad();
            using var y = graph.Run("Input247", x);
            return y.data<float>().ToArray();
        }

        var a = RunOurs();
        var b = RunOrt();
        double diff = a.Zip(b).Max(p => Math.Abs(p.First - p.Second));
        Console.WriteLine($"batch {batch}: max |ours - ORT| = {diff:E2}");
        double Time(Func<float[]> f)
        {
            var times = new List<double>();
            for (int i = 0; i < iterations; i++) { var t = Stopwatch.StartNew(); f(); times.Add(t.Elapsed.TotalMilliseconds); }
            times.Sort();
            return times[times.Count / 2];
        }
        double ours = Time(RunOurs), ort = Time(RunOrt);
        Console.WriteLine($"ResNet-18 fwd batch {batch} (median of {iterations}): imported {ours:F0} ms ({batch * 1000 / ours:F1} img/s), ONNX Runtime {ort:F0} ms ({batch * 1000 / ort:F1} img/s), ratio {ours / ort:F2}x");
        return (batch * 1000 / ours, batch * 1000 / ort, diff);
    }
}
