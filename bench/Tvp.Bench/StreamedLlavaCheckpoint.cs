using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Tvp.IO;
using Tvp.Models.Clip;
using Tvp.Models.Llama;
using Tvp.Models.Llava;

namespace Tvp.Bench;

/// <summary>
/// Writes a random bf16 LLaVA checkpoint of any size in HF's sharded layout (<c>model-0000k-of-0000n.safetensors</c>
/// + <c>model.safetensors.index.json</c>, legacy key names, config.json with <c>torch_dtype: bfloat16</c>, a word-level
/// tokenizer) WITHOUT holding the model in memory: names and shapes come from the model built on the meta device,
/// and each tensor's values are generated into a 16 MiB buffer and written out, chunk after chunk. Resident memory
/// stays at a few tens of MB whatever the checkpoint's size.
/// </summary>
public static class StreamedLlavaCheckpoint
{
    private const int ChunkElements = 8 << 20;                     // 8 Mi bf16 values = 16 MiB per write

    /// <summary>llava-hf/llava-1.5-7b-hf: CLIP ViT-L/14 @336 (24 layers, 1024 wide) + LLaMA-2-7B-shaped Vicuna (32 × 4096, 11008 MLP), vocab 32064.</summary>
    internal static LlavaConfig Llava15_7B => new(
        new ClipVisionConfig(HiddenSize: 1024, IntermediateSize: 4096, NumHiddenLayers: 24, NumAttentionHeads: 16, ImageSize: 336, PatchSize: 14,
            HiddenAct: "quick_gelu", LayerNormEps: 1e-5, ProjectionDim: 768),
        new LlamaConfig(VocabSize: 32064, HiddenSize: 4096, IntermediateSize: 11008, NumLayers: 32, NumHeads: 32, NumKeyValueHeads: 32,
            HeadDim: 128, RmsNormEps: 1e-5, RopeTheta: 10000.0, BosTokenId: 1, EosTokenId: 2, PadTokenId: 32001),
        ImageTokenIndex: 32000, VisionFeatureLayer: -2, SelectStrategy: "default", ProjectorAct: "gelu", ProjectorBias: true);

    /// <summary>A ~0.85B development stand-in with the same structure: the same ViT-L tower + LLaMA 8 × 2048 (5504 MLP), vocab 32064.</summary>
    internal static LlavaConfig Llava15_1B => Llava15_7B with
    {
        Text = Llava15_7B.Text with { HiddenSize = 2048, IntermediateSize = 5504, NumLayers = 8, NumHeads = 16, NumKeyValueHeads = 16, HeadDim = 128 },
    };

    /// <summary>Writes the checkpoint; returns the tensor bytes written.</summary>
    internal static long Write(string folder, LlavaConfig config, int shards, int seed)
    {
        Directory.CreateDirectory(folder);
        List<(string Name, long[] Shape)> tensors;
        using (var meta = EmptyModules.Create(() => new LlavaForConditionalGeneration(config)))
            tensors = meta.state_dict().Select(kv => (kv.Key, kv.Value.shape)).ToList();
        long Bytes((string, long[] Shape) t) => 2 * t.Shape.Aggregate(1L, (a, b) => a * b);
        long total = tensors.Sum(Bytes);
        // Consecutive tensors into shards of about total/shards bytes each.
        var groups = new List<List<(string Name, long[] Shape)>> { new() };
        long inShard = 0;
        foreach (var t in tensors)
        {
            if (inShard >= (double)total / shards && groups.Count < shards) { groups.Add(new()); inShard = 0; }
            groups[^1].Add(t);
            inShard += Bytes(t);
        }
        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var rng = new XorShift((ulong)seed * 0x9E3779B97F4A7C15UL + 1);
        var buffer = new byte[2 * ChunkElements];
        for (int s = 0; s < groups.Count; s++)
        {
            var file = $"model-{s + 1:D5}-of-{groups.Count:D5}.safetensors";
            var header = new Dictionary<string, object> { ["__metadata__"] = new Dictionary<string, string> { ["format"] = "pt" } };
            long offset = 0;
            foreach (var t in groups[s])
            {
                header[t.Name] = new Dictionary<string, object> { ["dtype"] = "BF16", ["shape"] = t.Shape, ["data_offsets"] = new[] { offset, offset + Bytes(t) } };
                offset += Bytes(t);
                weightMap[t.Name] = file;
            }
            var json = JsonSerializer.Serialize(header);
            json += new string(' ', (8 - Encoding.UTF8.GetByteCount(json) % 8) % 8);
            var path = Path.Combine(folder, file);
            using (var fs = new FileStream(path + ".tmp", FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                var headerBytes = Encoding.UTF8.GetBytes(json);
                fs.Write(BitConverter.GetBytes((ulong)headerBytes.Length));
                fs.Write(headerBytes);
                foreach (var t in groups[s])
                {
                    var (mean, halfWidth) = Scale(t.Name, t.Shape);
                    long n = Bytes(t) / 2;
                    for (long done = 0; done < n;)
                    {
                        int k = (int)Math.Min(ChunkElements, n - done);
                        for (int i = 0; i < k; i++)
                        {
                            float v = mean + halfWidth * rng.NextSigned();
                            BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(2 * i), (ushort)(BitConverter.SingleToUInt32Bits(v) >> 16));
                        }
                        fs.Write(buffer, 0, 2 * k);
                        done += k;
                    }
                }
            }
            File.Move(path + ".tmp", path, overwrite: true);
            Console.WriteLine($"  wrote {file} ({groups[s].Count} tensors)");
        }
        var index = new Dictionary<string, object> { ["metadata"] = new Dictionary<string, long> { ["total_size"] = total }, ["weight_map"] = weightMap };
        AtomicFile.WriteAllText(Path.Combine(folder, "model.safetensors.index.json"), JsonSerializer.Serialize(index, new JsonSerializerOptions { WriteIndented = true }));
        var cfg = config.ToJson();
        cfg["torch_dtype"] = "bfloat16";
        AtomicFile.WriteAllText(Path.Combine(folder, "config.json"), JsonSerializer.Serialize(cfg, new JsonSerializerOptions { WriteIndented = true }));
        LlavaCheckpointWriter.WriteTokenizer(folder, config, Array.Empty<string>());
        return total;
    }

    /// <summary>
    /// Uniform values with useful scales (same variance as N(0, 1/fan_in) for matrices): norms around 1, biases
    /// ±0.02, embeddings ±0.5.
    /// </summary>
    private static (float Mean, float HalfWidth) Scale(string name, long[] shape)
    {
        bool norm = name.Contains("norm", StringComparison.Ordinal) || name.Contains("layrnorm", StringComparison.Ordinal);
        if (norm && name.EndsWith(".weight", StringComparison.Ordinal)) return (1f, 0.1f);
        if (name.EndsWith(".bias", StringComparison.Ordinal)) return (0f, 0.02f);
        if (name.Contains("embed", StringComparison.Ordinal)) return (0f, 0.5f);
        long fanIn = shape.Skip(1).Aggregate(1L, (a, b) => a * b);
        return (0f, (float)Math.Sqrt(3.0 / Math.Max(1, fanIn)));
    }

    /// <summary>xorshift64*: fast, seeded, good enough for random weights.</summary>
    private sealed class XorShift(ulong state)
    {
        private ulong _s = state == 0 ? 1 : state;

        /// <summary>Uniform in [-1, 1).</summary>
        public float NextSigned()
        {
            _s ^= _s >> 12; _s ^= _s << 25; _s ^= _s >> 27;
            ulong r = _s * 0x2545F4914F6CDD1DUL;
            return (r >> 40) * (2f / (1 << 24)) - 1f;
        }
    }
}
