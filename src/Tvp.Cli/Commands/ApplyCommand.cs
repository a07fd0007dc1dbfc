using System.CommandLine;
using Spectre.Console;
using Tvp.Data;
using Tvp.Prompts;

namespace Tvp.Cli.Commands;

/// <summary><c>tvp apply</c>: write prompted images as PNG so any black-box model or API can use the prompt.</summary>
internal static class ApplyCommand
{
    public static Command Create()
    {
        var prompt = new Option<string>("--prompt") { Description = "Prompt file (prompt.safetensors).", Required = true };
        var images = new Option<string[]>("--images") { Description = "Image files.", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => Array.Empty<string>() };
        var data = new Option<string?>("--data") { Description = "A folder of images (searched recursively; the folder structure is kept)." };
        var output = new Option<string>("--out") { Description = "Output folder for the PNGs.", Required = true };
        var quiet = new Option<bool>("--quiet") { Description = "No progress output." };
        var cmd = new Command("apply", "Write prompted images (canvas + prompt, clamped to [0,1]) as PNG files.");
        foreach (var opt in new Option[] { prompt, images, data, output, quiet }) cmd.Options.Add(opt);
        var imageFlags = new ImageReadFlags();
        imageFlags.AddTo(cmd);
        cmd.SetAction(r => CliAction.Run(() =>
        {
            using var imageReading = imageFlags.Use(r);
            using var applier = PromptApplier.Load(r.GetValue(prompt)!);
            var meta = applier.Metadata;
            var files = new List<(string Src, string Rel)>();
            foreach (var f in r.GetValue(images)!) files.Add((f, Path.GetFileNameWithoutExtension(f) + ".png"));
            if (r.GetValue(data) is { } dir)
            {
                if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"--data {dir}: folder not found");
                foreach (var f in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                    if (ImageFolderDataset.ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                        files.Add((f, Path.ChangeExtension(Path.GetRelativePath(dir, f), ".png")));
            }
            if (files.Count == 0) throw new ArgumentException("no images: give --images FILES or --data DIR");
            foreach (var (src, _) in files) if (!File.Exists(src)) throw new FileNotFoundException($"image not found: {src}", src);
            var outDir = r.GetValue(output)!;
            int done = 0;
            foreach (var (src, rel) in files)
            {
                var dst = Path.Combine(outDir, rel);
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(dst))!);
                applier.ApplyFile(src, dst);
                done++;
                if (!r.GetValue(quiet) && (done % 500 == 0 || done == files.Count)) CliContext.Err.WriteLine($"apply: {done}/{files.Count}");
            }
            CliContext.Current.Console.MarkupLine(Markup.Escape($"wrote {files.Count} prompted image(s) ({meta.CanvasSize}×{meta.CanvasSize}) to {outDir}"));
            return 0;
        }));
        return cmd;
    }
}
