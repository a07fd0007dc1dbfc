using System.Diagnostics;
using System.Text.Json;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using Tvp.Models.Onnx;
using static TorchSharp.torch;

namespace Tvp.Bench;

/// <summary>
/// Forward speed of the imported NuGet ResNet-18 (TorchSharp, CPU) against ONNX Runtime (CPU) on the same
/// batch. Usage: onnx [batch=16] [iterations=5] [--profile]. The model declares batch 1, so ORT gets a copy whose
/// input and output batch dim is made symbolic. The sgemm peak and load average of the same run say what the machine
/// gave. --profile adds the imported graph's time per op type over further runs.
/// </summary>
public static class OnnxBench
{
    public static int Run(string[] args)
    {
        var positional = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
        int batch = positional.Length > 0 ? int.Parse(positional[0]) : 16;
        int iterations = positional.Length > 1 ? int.Parse(positional[1]) : 5;
        Console.WriteLine($"sgemm peak {SuiteBench.SgemmPeak(2048):F1} GFLOP/s, load average {Machine.LoadAverage()}, MKL dispatch: {MklCpuDispatch.Description}");
        Compare(batch, iterations, args.Contains("--profile"));
        return 0;
    }

    /// <summary>Imported and ONNX Runtime images/s (medians over <paramref name="iterations"/> alternating rounds), their per-round ratio and largest output difference.</summary>
    public static (double Imported, double OnnxRuntime, RoundRatio Ratio, double MaxAbsDifference) Compare(int batch, int iterations, bool profile = false)
    {
        var path = OnnxAssets.ResNet18Path();

        var sw = Stopwatch.StartNew();
        using var graph = OnnxGraph.Load(path);
        Console.WriteLine($"import: {sw.Elapsed.TotalSeconds:F2} s ({graph.NodeCount} nodes, {graph.ConstantElements / 1e6:F1} M weights; " +
            $"{graph.FoldedBatchNorms} BatchNorms folded, {graph.FusedRelus} ReLUs fused, {graph.ChannelsLastWeights} conv weights channels-last, {graph.WinogradConvs} convs Winograd F(2x2,3x3) with {graph.WinogradElements * 4 / 1e6:F0} MB of transformed weights), torch threads {get_num_threads()}");

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
        // Alternating rounds (RoundRatio): each round times one call of each runtime, each right after an untimed call of
        // the same runtime — the other runtime's worker threads may still be spinning when a switch happens (OpenMP and
        // ORT both spin-wait), and the untimed call is the one they slow.
        var oursTimes = new List<double>(); var ortTimes = new List<double>();
        double Timed(Func<float[]> f) { f(); var t = Stopwatch.StartNew(); f(); return t.Elapsed.TotalMilliseconds; }
        for (int i = 0; i < iterations; i++) { oursTimes.Add(Timed(RunOurs)); ortTimes.Add(Timed(RunOrt)); }
        double ours = SuiteBench.Median(oursTimes), ort = SuiteBench.Median(ortTimes);
        var ratio = RoundRatio.Of(oursTimes.Zip(ortTimes, (a, b) => b / a)); // imported images/s over ORT's, per round
        Console.WriteLine($"ResNet-18 fwd batch {batch} ({iterations} alternating rounds, medians): imported {ours:F0} ms ({batch * 1000 / ours:F1} img/s), ONNX Runtime {ort:F0} ms ({batch * 1000 / ort:F1} img/s), imported/ORT images/s {ratio.Format()} (median [quartiles] of per-round ratios)");
        if (profile)
        {
            PrintProfile(graph, RunOurs, iterations);
            PrintOrtProfile(model.ToByteArray(), ortInput, iterations);
        }
        return (batch * 1000 / ours, batch * 1000 / ort, ratio, diff);
    }

    private static void PrintProfile(OnnxGraph graph, Func<float[]> run, int iterations)
    {
        foreach (bool byShape in new[] { false, true })
        {
            var profile = new OnnxProfile { ByShape = byShape };
            graph.Profile = profile;
            try { for (int i = 0; i < iterations; i++) run(); }
            finally { graph.Profile = null; }
            var totals = profile.Totals();
            double all = totals.Sum(r => r.Time.TotalMilliseconds);
            Console.WriteLine($"imported, per op {(byShape ? "and operand shapes" : "type")}, mean of {profile.Runs} runs ({all / profile.Runs:F1} ms a run):");
            foreach (var (op, calls, time) in totals)
                Console.WriteLine($"  {op,-48} {calls / (double)profile.Runs,5:F1} calls {time.TotalMilliseconds / profile.Runs,8:F1} ms {100 * time.TotalMilliseconds / all,5:F1} %");
        }
    }

    /// <summary>ONNX Runtime's own profile of the same model and input: kernel time per op type, then per op and operand shapes (after its fusions).</summary>
    private static void PrintOrtProfile(byte[] model, OrtValue input, int iterations)
    {
        foreach (bool byShape in new[] { false, true }) PrintOrtProfile(model, input, iterations, byShape);
    }

    private static void PrintOrtProfile(byte[] model, OrtValue input, int iterations, bool byShape)
    {
        var prefix = Path.Combine(Path.GetTempPath(), $"tvp-ort-profile-{Environment.ProcessId}");
        using var options = new SessionOptions { IntraOpNumThreads = Environment.ProcessorCount, EnableProfiling = true, ProfileOutputPathPrefix = prefix };
        using var session = new InferenceSession(model, options);
        using var runOptions = new RunOptions();
        for (int i = 0; i <= iterations; i++)
        {
            using var r = session.Run(runOptions, new[] { "Input247" }, new[] { input }, new[] { "Pooling395_Output_0" });
        }
        var file = session.EndProfiling();
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(file));
            var byOp = new Dictionary<string, (int Calls, double Us)>();
            int runs = 0;
            foreach (var e in json.RootElement.EnumerateArray())
            {
                var cat = e.GetProperty("cat").GetString();
                var name = e.GetProperty("name").GetString() ?? "";
                if (cat == "Session" && name == "model_run") runs++;
                if (cat != "Node" || !name.EndsWith("_kernel_time", StringComparison.Ordinal)) continue;
                var args = e.GetProperty("args");
                var op = args.TryGetProperty("op_name", out var o) ? o.GetString() ?? "?" : "?";
                if (byShape && args.TryGetProperty("input_type_shape", out var shapes))
                    op += " " + string.Join(" ", shapes.EnumerateArray().SelectMany(d => d.EnumerateObject()).Take(2)
                        .Select(kv => "[" + string.Join(",", kv.Value.EnumerateArray().Select(v => v.GetInt64())) + "]"));
                var (c, us) = byOp.GetValueOrDefault(op);
                byOp[op] = (c + 1, us + e.GetProperty("dur").GetDouble());
            }
            runs = Math.Max(runs, 1);
            double all = byOp.Values.Sum(v => v.Us);
            Console.WriteLine($"ONNX Runtime, kernel time per op {(byShape ? "and operand shapes" : "type")}, mean of {runs} runs (the first one included) ({all / 1000 / runs:F1} ms a run):");
            foreach (var (op, (calls, us)) in byOp.OrderByDescending(kv => kv.Value.Us))
                Console.WriteLine($"  {op,-48} {calls / (double)runs,5:F1} calls {us / 1000 / runs,8:F1} ms {100 * us / all,5:F1} %");
        }
        finally { File.Delete(file); }
    }
}
