using System.CommandLine;
using TorchSharp;
using Tvp.IO;
using Tvp.Models;
using Tvp.Models.Clip;
using static TorchSharp.torch;

namespace Tvp.Cli.Commands;

/// <summary>
/// <c>tvp encode</c>: CLIP image and/or text embeddings, written with HF's output names
/// (<c>image_embeds</c>, <c>text_embeds</c>, <c>logits_per_image</c>).
/// </summary>
internal static class EncodeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "CLIP checkpoint folder (HF layout) or registry name.", Required = true };
        var images = new Option<string[]>("--images") { Description = "Image files (JPEG/PNG/BMP/PPM); CLIP preprocessing is applied.", AllowMultipleArgumentsPerToken = true };
        var pixels = new Option<string>("--pixels") { Description = "safetensors file with pixel_values [B,3,H,W], already normalised (other tensors are ignored)." };
        var texts = new Option<string>("--texts") { Description = "UTF-8 text file, one text per line." };
        var output = new Option<string>("--out") { Description = "Output safetensors file.", Required = true };
        var device = new Option<string>("--device") { Description = "cpu or cuda.", DefaultValueFactory = _ => "cpu" };
        var cmd = new Command("encode", "Encode images and/or texts with a CLIP model; writes image_embeds, text_embeds and logits_per_image.");
        foreach (var o in new Option[] { model, images, pixels, texts, output, device }) cmd.Options.Add(o);
        var loadingFlags = new ModelLoadFlags();
        loadingFlags.AddTo(cmd);
        var imageFlags = new ImageReadFlags();
        imageFlags.AddTo(cmd);
        cmd.SetAction(r => CliAction.Run(() =>
        {
            using var loading = loadingFlags.Use(r);
            using var imageReading = imageFlags.Use(r);
            var imageFiles = r.GetValue(images) ?? Array.Empty<string>();
            var pixelFile = r.GetValue(pixels);
            var textFile = r.GetValue(texts);
            if (imageFiles.Length > 0 && pixelFile is not null) throw new ArgumentException("give --images or --pixels, not both");
            if (imageFiles.Length == 0 && pixelFile is null && textFile is null) throw new ArgumentException("nothing to encode: give --images, --pixels and/or --texts");
            var lines = textFile is null ? null : InputFile.ReadAllLines(textFile); // before any model is loaded
            if (lines is { Length: 0 }) throw new InvalidDataException($"{textFile}: no texts (the file is empty)");
            var folder = ResolveFolder(r.GetValue(model)!);
            using var scope = NewDisposeScope();
            Tensor? pixelValues = null;
            if (pixelFile is not null)
            {
                var f = new SafeTensorFile(pixelFile);
                if (!f.Contains("pixel_values")) throw new InvalidDataException($"{pixelFile}: no tensor named 'pixel_values'");
                pixelValues = f.ReadFloat("pixel_values");
            }
            var outputs = ClipEncoding.Encode(folder, pixelValues, imageFiles, lines, torch.device(r.GetValue(device)!));
            var path = r.GetValue(output)!;
            SafeTensorFile.Write(path, outputs, new Dictionary<string, string> { ["model"] = folder, ["producer"] = "tvp encode" });
            CliContext.Out.WriteLine($"wrote {string.Join(", ", outputs.Select(kv => $"{kv.Key} [{string.Join(",", kv.Value.shape)}]"))} to {path}");
            return 0;
        }));
        return cmd;
    }

    private static string ResolveFolder(string nameOrPath)
    {
        if (Directory.Exists(nameOrPath)) return nameOrPath;
        var (path, family) = ModelRegistry.Resolve(nameOrPath);
        if (family.Name != "clip") throw new ArgumentException($"{nameOrPath}: a {family.Name} model, not a CLIP checkpoint");
        return path;
    }
}
