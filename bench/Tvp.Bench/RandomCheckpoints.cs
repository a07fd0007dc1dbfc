using Tvp.Models.Clip;
using Tvp.Models.Llava;

namespace Tvp.Bench;

/// <summary>
/// Writes random-weight checkpoints in HF layout for pipeline runs without downloads:
///   write-checkpoint llava DIR [--seed S] [--vision-seed V] [--image-size N]
///   write-checkpoint clip-b32 DIR --tokenizer TOKENIZER_DIR [--seed S]
/// </summary>
public static class RandomCheckpoints
{
    public static int Run(string[] args)
    {
        if (args.Length < 2) { Console.Error.WriteLine("usage: write-checkpoint llava|clip-b32 DIR [options]"); return 2; }
        string Arg(string name, string dflt) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : dflt; }
        var dir = args[1];
        int seed = int.Parse(Arg("--seed", "0"));
        switch (args[0])
        {
            case "llava":
                int image = int.Parse(Arg("--image-size", "32"));
                LlavaCheckpointWriter.WriteRandom(dir, LlavaCheckpointWriter.TinyConfig(imageSize: image), seed: seed, visionSeed: int.Parse(Arg("--vision-seed", "0")));
                break;
            case "clip-b32":
                ClipCheckpointWriter.WriteRandom(dir, ClipConfig.VitB32, seed, Arg("--tokenizer", "../shared/fixtures/clip-tokenizer"));
                break;
            default:
                Console.Error.WriteLine($"unknown checkpoint kind '{args[0]}' (llava, clip-b32)");
                return 2;
        }
        Console.WriteLine($"wrote {args[0]} checkpoint to {dir}");
        return 0;
    }
}
