using StbImageWriteSharp;
using Tvp.Prompts;
using static TorchSharp.torch;

namespace Tvp.Tests.Server;

/// <summary>Inputs the server tests write at test time: a random prompt file, PNG images, the tiny-LLaVA folder with a tokenizer.</summary>
internal static class ServerTestFiles
{
    /// <summary>A padding prompt with random values (so a wrong canvas, offset or missing clamp shows in the pixels).</summary>
    public static string WritePrompt(string dir, string name, int canvas, int image, int seed)
    {
        int pad = (canvas - image) / 2;
        using var g = new TorchSharp.torch.Generator((ulong)seed);
        using var vp = new VisualPrompt(PromptShape.Padding, canvas, pad, rand(new long[] { 3, canvas, canvas }, generator: g) * 1.6f - 0.8f);
        var path = Path.Combine(dir, name);
        PromptFile.Save(path, vp, new PromptMetadata(PromptShape.Padding, canvas, image, pad, "test", "test"));
        return path;
    }

    /// <summary>An RGB PNG of <paramref name="w"/>×<paramref name="h"/> with a seeded pattern.</summary>
    public static byte[] Png(int w, int h, int seed)
    {
        var rng = new Random(seed);
        var rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++)
                    rgb[(y * w + x) * 3 + c] = (byte)((x * (c + 1) * 7 + y * 5 + rng.Next(40)) & 0xff);
        using var ms = new MemoryStream();
        new ImageWriter().WritePng(rgb, w, h, ColorComponents.RedGreenBlue, ms);
        return ms.ToArray();
    }

    /// <summary>A single-colour RGB PNG: large in pixels, small in bytes (what a decompression bomb looks like).</summary>
    public static byte[] FlatPng(int w, int h)
    {
        using var ms = new MemoryStream();
        new ImageWriter().WritePng(new byte[w * h * 3], w, h, ColorComponents.RedGreenBlue, ms);
        return ms.ToArray();
    }

    /// <summary>
    /// A LLaVA folder: links to the shared tiny-llava config and weights plus the test tokenizer
    /// (tests/Tvp.Tests/Server/tiny-llava-tokenizer). Nothing shared is copied.
    /// </summary>
    public static string TinyLlava(string dir)
    {
        var folder = Path.Combine(dir, "tiny-llava");
        Directory.CreateDirectory(folder);
        foreach (var f in new[] { "config.json", "model.safetensors" })
            File.CreateSymbolicLink(Path.Combine(folder, f), SharedData.Path("fixtures", "tiny-llava", f));
        var tok = Path.Combine(SharedData.RepoRoot, "tests", "Tvp.Tests", "Server", "tiny-llava-tokenizer");
        foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json" })
            File.CreateSymbolicLink(Path.Combine(folder, f), Path.Combine(tok, f));
        return folder;
    }

    /// <summary>The bytes of a base64 data: URL.</summary>
    public static byte[] DataUrlBytes(string url)
    {
        Assert.StartsWith("data:image/png;base64,", url);
        return Convert.FromBase64String(url[(url.IndexOf(',') + 1)..]);
    }
}
