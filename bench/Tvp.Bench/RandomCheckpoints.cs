using Tvp.Models.Blip2;
using Tvp.Models.Clip;
using Tvp.Models.Llava;
using Tvp.Models.MiniGpt4;

namespace Tvp.Bench;

/// <summary>
/// Writes random-weight checkpoints in HF layout for pipeline runs without downloads:
///   write-checkpoint llava DIR [--seed S] [--vision-seed V] [--image-size N]
///   write-checkpoint clip-b32 DIR --tokenizer TOKENIZER_DIR [--seed S]
///   write-checkpoint blip2-opt|blip2-t5|instructblip|minigpt4 DIR [--seed S] [--vision-seed V] [--image-size N]
/// BLIP-2 / InstructBLIP / MiniGPT-4 checkpoints written with the same --vision-seed share the same vision encoder.
///   write-checkpoint llava-7b DIR [--shards 4] [--seed S]   (llava-hf/llava-1.5-7b-hf shapes and names, bf16, streamed: ~14.1 GB)
///   write-checkpoint llava-1b DIR [--shards 4] [--seed S]   (the same ViT-L tower + an 8-layer 2048-wide LLaMA, bf16, streamed: ~1.7 GB)
/// </summary>
public static class RandomCheckpoints
{
    public static int Run(string[] args)
    {
        if (args.Length < 2) { Console.Error.WriteLine("usage: write-checkpoint llava|clip-b32|llava-7b|llava-1b|blip2-opt|blip2-t5|instructblip|minigpt4 DIR [options]"); return 2; }
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
            case "blip2-opt" or "blip2-t5" or "instructblip":
                var kind = args[0] == "instructblip" ? Blip2Kind.InstructBlip : Blip2Kind.Blip2;
                var text = args[0] switch { "blip2-opt" => Blip2CheckpointWriter.TextKind.Opt, "blip2-t5" => Blip2CheckpointWriter.TextKind.T5, _ => Blip2CheckpointWriter.TextKind.Llama };
                Blip2CheckpointWriter.WriteRandom(dir, Blip2CheckpointWriter.TinyConfig(kind, text, imageSize: int.Parse(Arg("--image-size", "32"))),
                    LlavaCheckpointWriter.BaseWords, seed, int.Parse(Arg("--vision-seed", "0")));
                break;
            case "minigpt4":
                MiniGpt4CheckpointWriter.WriteRandom(dir, LlavaCheckpointWriter.BaseWords, seed, int.Parse(Arg("--vision-seed", "0")));
                break;
            case "llava-7b" or "llava-1b":
                long bytes = StreamedLlavaCheckpoint.Write(dir, args[0] == "llava-7b" ? StreamedLlavaCheckpoint.Llava15_7B : StreamedLlavaCheckpoint.Llava15_1B,
                    int.Parse(Arg("--shards", "4")), seed);
                Console.WriteLine($"  {bytes / 1e9:F2} GB of bf16 tensors");
                break;
            default:
                Console.Error.WriteLine($"unknown checkpoint kind '{args[0]}' (llava, clip-b32, llava-7b, llava-1b, blip2-opt, blip2-t5, instructblip, minigpt4)");
                return 2;
        }
        Console.WriteLine($"wrote {args[0]} checkpoint to {dir}");
        return 0;
    }
}
