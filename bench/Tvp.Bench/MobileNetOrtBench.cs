using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using Tvp.Models;
using Tvp.Models.Classifiers;
using Google.Protobuf;
using Tvp.Tests.Models.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Tvp.Bench;

/// <summary>
/// <c>mobilenets-ort [ROUNDS] [BATCH] [--ort-no-spin]</c>: MobileNet-V2 1.0/224 and V1 0.75/192 forward in tvp against ONNX Runtime on
/// the same weights. Each network (BatchNorms folded, as tvp runs it) is written out as an ONNX graph — Conv, Clip(0, 6),
/// Add, GlobalAveragePool, Gemm, with each convolution's padding as tvp computes it at the native size — and ONNX
/// Runtime runs it with its default optimisations (Conv + Clip fusion, its blocked NCHWc kernels), 2 intra-op threads
/// (<c>--ort-no-spin</c>: they do not spin-wait between runs — ORT slower, tvp's next call undisturbed).
/// Per round, alternately: tvp V2, ORT V2, tvp V1, ORT V1 (batch 16, no graph; each the faster of two calls after an untimed
/// one, see <see cref="Best"/>). Reports images/s (medians), the per-round
/// ratios tvp/ORT per network, and V2/V1 per published multiply-add (300 M vs 233 M) for each engine: what a runtime
/// with fused kernels achieves on this machine, next to tvp's eager libtorch.
/// </summary>
public static class MobileNetOrtBench
{
    private const string V2 = "mobilenet_v2_1.0_224", V1 = "mobilenet_v1_0.75_192";

    public static int Run(string[] args)
    {
        var positional = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
        int rounds = positional.Length > 0 ? int.Parse(positional[0]) : 15;
        int batch = positional.Length > 1 ? int.Parse(positional[1]) : 16;
        bool noSpin = args.Contains("--ort-no-spin");
        Console.WriteLine($"load average {Machine.LoadAverage()}, torch threads {get_num_threads()}, ORT intra-op threads {Environment.ProcessorCount}");
        var nets = new[] { (Name: V2, Macs: 300e6), (Name: V1, Macs: 233e6) };
        var models = nets.Select(n => (ClassifierPromptable)ModelRegistry.Load(n.Name, CPU)).ToArray();
        var sessions = new List<InferenceSession>();
        var inputs = new List<(Tensor X, OrtValue Ort)>();
        bool mismatch = false;
        try
        {
            foreach (var m in models)
            {
                int size = m.Info.InputSize ?? 224;
                var onnx = Export(m.Network, batch, size);
                using var options = new SessionOptions { IntraOpNumThreads = Environment.ProcessorCount };
                if (noSpin) options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
                sessions.Add(new InferenceSession(onnx.ToByteArray(), options));
                var x = randn(new long[] { batch, 3, size, size }, generator: new Generator(1));
                inputs.Add((x, OrtValue.CreateTensorValueFromMemory(x.data<float>().ToArray(), x.shape)));
                using var ours = Ours(m, x);
                var ort = Ort(sessions[^1], inputs[^1].Ort);
                using var ortT = tensor(ort, ours.shape);
                float diff = (ours - ortT).abs().max().item<float>(), scale = ours.abs().max().item<float>();
                Console.WriteLine($"{m.Info.Name}: {onnx.Graph.Node.Count} ONNX nodes; max |tvp − ORT| over the logits {diff:E2} (logits up to {scale:F1})");
                if (!(diff <= 1e-3 * Math.Max(scale, 1f))) { Console.Error.WriteLine($"{m.Info.Name}: the exported graph does not compute what tvp computes"); mismatch = true; }
            }
            var seconds = new List<double[]>();
            for (int r = 0; r < rounds + 3; r++)
            {
                var t = new double[4]; // tvp V2, ORT V2, tvp V1, ORT V1
                for (int i = 0; i < 2; i++)
                {
                    t[2 * i] = Best(() => Ours(models[i], inputs[i].X).Dispose());
                    t[2 * i + 1] = Best(() => Ort(sessions[i], inputs[i].Ort));
                }
                if (r >= 3) seconds.Add(t);
            }
            string Ips(int k) => $"{batch / SuiteBench.Median(seconds.Select(t => t[k])):F1}";
            Console.WriteLine($"images/s (median of {rounds} rounds, batch {batch}): V2 tvp {Ips(0)}, ORT {Ips(1)}; V1 tvp {Ips(2)}, ORT {Ips(3)}");
            Console.WriteLine($"tvp / ORT images/s: V2 {RoundRatio.Of(seconds.Select(t => t[1] / t[0])).Format()}, V1 {RoundRatio.Of(seconds.Select(t => t[3] / t[2])).Format()}");
            double PerMac(double[] t, int engine) => nets[0].Macs / t[engine] / (nets[1].Macs / t[2 + engine]);
            Console.WriteLine($"V2 / V1 per multiply-add: tvp {RoundRatio.Of(seconds.Select(t => PerMac(t, 0))).Format()}, ONNX Runtime {RoundRatio.Of(seconds.Select(t => PerMac(t, 1))).Format()} (median [quartiles] of per-round ratios)");
        }
        finally
        {
            foreach (var (x, o) in inputs) { x.Dispose(); o.Dispose(); }
            foreach (var s in sessions) s.Dispose();
            foreach (var m in models) m.Dispose();
        }
        return mismatch ? 1 : 0;
    }

    /// <summary>
    /// Seconds of the faster of two timed calls after an untimed one: the first call after the other engine ran pays for
    /// its threads still spinning on the two cores (rounds 3–7× slower were seen without it).
    /// </summary>
    private static double Best(Action call)
    {
        call();
        double best = double.MaxValue;
        for (int k = 0; k < 2; k++)
        {
            var sw = Stopwatch.StartNew();
            call();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return best;
    }

    private static Tensor Ours(ClassifierPromptable m, Tensor x)
    {
        using var noGrad = no_grad();
        return m.Network.forward(x);
    }

    private static float[] Ort(InferenceSession session, OrtValue input)
    {
        using var runOptions = new RunOptions();
        using var r = session.Run(runOptions, new[] { "x" }, new[] { input }, new[] { "logits" });
        return r[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>The network as an ONNX graph for [<paramref name="batch"/>, 3, <paramref name="size"/>, <paramref name="size"/>] input "x" and output "logits".</summary>
    private static ModelProto Export(ClassifierNetwork network, int batch, int size)
    {
        var modules = network.named_modules().ToDictionary(m => m.name, m => m.module);
        var onnx = new OnnxModelBuilder().Input("x", batch, 3, size, size).Output("logits");
        string current = "x";
        long h = size, w = size, channels = 3;
        int id = 0;

        string Constant(Tensor t, string name)
        {
            using var c = t.detach().contiguous().to(ScalarType.Float32);
            onnx.RawFloats(name, c.data<float>().ToArray(), t.shape);
            return name;
        }
        string Conv(PaddedConv2d conv, string input, bool relu6)
        {
            long k = conv.Weight.shape[2], s = conv.Stride;
            long groups = channels / conv.Weight.shape[1]; // weight [out, in/groups, k, k]
            var (top, bottom) = ConvPadding.Amounts(conv.Padding, h, k, s);
            var (left, right) = ConvPadding.Amounts(conv.Padding, w, k, s);
            string n = $"conv{id++}";
            var inputs = new List<string> { input, Constant(conv.Weight, n + ".weight") };
            if (conv.Bias is { } b) inputs.Add(Constant(b, n + ".bias"));
            onnx.Node("Conv", inputs.ToArray(), [n], OnnxModelBuilder.Ints("kernel_shape", k, k), OnnxModelBuilder.Ints("strides", s, s),
                OnnxModelBuilder.Ints("pads", top, left, bottom, right), OnnxModelBuilder.Int("group", groups));
            h = (h + top + bottom - k) / s + 1;
            w = (w + left + right - k) / s + 1;
            channels = conv.Weight.shape[0];
            if (!relu6) return n;
            onnx.Node("Clip", [n, "zero", "six"], [n + ".relu6"]);
            return n + ".relu6";
        }
        onnx.RawFloats("zero", [0f]).RawFloats("six", [6f]); // scalar bounds

        if (network is MobileNetV2)
        {
            for (int i = 0; modules.ContainsKey($"features.{i}"); i++)
            {
                var block = modules[$"features.{i}"];
                if (block is ConvBnReLU6) { current = Conv((PaddedConv2d)modules[$"features.{i}.0"], current, relu6: true); continue; }
                string input = current;
                long inChannels = channels, inH = h;
                for (int j = 0; modules.TryGetValue($"features.{i}.conv.{j}", out var layer); j++)
                {
                    if (layer is ConvBnReLU6) current = Conv((PaddedConv2d)modules[$"features.{i}.conv.{j}.0"], current, relu6: true);
                    else if (layer is PaddedConv2d p) current = Conv(p, current, relu6: false);
                    else if (layer is not FoldableBatchNorm2d { Folded: true }) throw new InvalidOperationException($"features.{i}.conv.{j}: {layer.GetType().Name} not exported");
                }
                if (channels == inChannels && h == inH)
                {
                    onnx.Node("Add", [input, current], [$"add{i}"]);
                    current = $"add{i}";
                }
            }
        }
        else if (network is MobileNetV1)
            for (int i = 0; modules.TryGetValue($"layers.{i}", out var layer); i++) current = Conv((PaddedConv2d)layer, current, relu6: true);
        else throw new NotSupportedException(network.GetType().Name);

        var head = (TorchSharp.Modules.Linear)(modules.TryGetValue("classifier.1", out var c1) ? c1 : modules["classifier"]);
        onnx.Node("GlobalAveragePool", [current], ["pool"])
            .Node("Flatten", ["pool"], ["flat"])
            .Node("Gemm", ["flat", Constant(head.weight!, "head.weight"), Constant(head.bias!, "head.bias")], ["logits"], OnnxModelBuilder.Int("transB", 1));
        return onnx.Model;
    }
}
