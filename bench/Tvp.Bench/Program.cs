namespace Tvp.Bench;

/// <summary>
/// Benchmarks (speed and memory targets live here, never in tests).
/// Usage: dotnet run -c Release --project bench/Tvp.Bench -- NAME [args]; without NAME, lists them.
/// </summary>
public static class Program
{
    private static readonly Dictionary<string, (string Description, Func<string[], int> Run)> Benches = new(StringComparer.OrdinalIgnoreCase)
    {
        // One line per benchmark, e.g. ["clip"] = ("CLIP forward/backward images/s", ClipBench.Run),
        ["clip"] = ("CLIP ViT-B/32 forward, forward+backward-to-pixels images/s; text-cache saving", ClipBench.Run),
        ["write-checkpoint"] = ("write a random-weight checkpoint: write-checkpoint llava|llava-7b|llava-1b|clip-b32|blip2-opt|blip2-t5|instructblip|minigpt4 DIR [--seed S] [--vision-seed V]", RandomCheckpoints.Run),
        ["llava"] = ("LLaVA train-step images/s, peak memory, KV-cached vs naive scoring (10/100 candidates)", LlavaBench.Run),
        ["onnx"] = ("imported ONNX ResNet-18 forward vs ONNX Runtime (CPU)", OnnxBench.Run),
        ["server"] = ("tvp proxy vs direct: req/s, p50/p99 at 1/8/32 clients on loopback; image rewrite ms per megapixel", ServerBench.Run),
        ["scale"] = ("big LLaVA on the CPU: load s + peak RSS / checkpoint bytes, scoring, one TVP step: scale DIR [--dtype D] [--json FILE] [--skip-score] [--skip-step] [--activation-checkpointing]", ScaleBench.Run),
        ["layouts"] = ("classifiers NCHW vs each network's channels-last use vs channels-last throughout: layouts [REPS]", LayoutBench.Run),
        ["conv-grad"] = ("oneDNN check: float32 conv input gradients vs float64 for a few shapes at 1 and 2 threads", ConvGradientCheck.Run),
        ["suite"] = ("every family: eval / VP / TVP / reference-loop images/s, GFLOP/s vs sgemm peak, TVP/VP, ONNX vs ORT, V2/V1 per-MAC: suite [--full] [--out DIR] [--scale-json FILE] [--only a,b]", SuiteBench.Run),
        ["per-mac"] = ("MobileNet-V2 vs V1-0.75/192 per multiply-add, forward and forward+backward, alternating rounds: per-mac [ROUNDS] [BATCH]", PerMacBench.Run),
        ["mobilenets-ort"] = ("MobileNet-V2 and V1-0.75/192 forward in tvp vs ONNX Runtime on the same weights, and each engine's V2/V1 per multiply-add: mobilenets-ort [ROUNDS] [BATCH] [--ort-no-spin]", MobileNetOrtBench.Run),
        ["fused-blocks"] = ("MobileNet-V2 with fused inverted residual blocks vs libtorch layers, forward and forward+backward, alternating: fused-blocks [ROUNDS] [BATCH]", FusedBlocksBench.Run),
        ["demo"] = ("shared ResNet-18 encoder images/s at demo resolutions, forward and forward+backward", DemoBench.Run),
    };

    public static int Main(string[] args)
    {
        Tvp.Demo.DemoFamilies.Register(); // the demo zoo's names (zoo-mlp, ...) for the suite, as the CLI does
        if (args.Length == 0 || !Benches.TryGetValue(args[0], out var b))
        {
            Console.WriteLine("benchmarks:");
            foreach (var (name, (desc, _)) in Benches) Console.WriteLine($"  {name,-12} {desc}");
            return args.Length == 0 ? 0 : 2;
        }
        return b.Run(args[1..]);
    }
}
