using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tvp.Models.Multimodal;

/// <summary>
/// A model's prompt format, as data (Models/Templates/*.json, or <c>tvp_template.json</c> in a checkpoint
/// folder): where the image goes, the system text, the user/assistant markers, how the answer follows
/// and what ends it.
/// </summary>
internal sealed record PromptTemplate
{
    /// <summary>Template name.</summary>
    [JsonPropertyName("name")] public string Name { get; init; } = "";
    /// <summary>One line about the template.</summary>
    [JsonPropertyName("description")] public string Description { get; init; } = "";
    /// <summary>System text, put at <c>{system}</c>.</summary>
    [JsonPropertyName("system")] public string System { get; init; } = "";
    /// <summary>The prompt with <c>{system}</c>, <c>{question}</c> and the image placeholder.</summary>
    [JsonPropertyName("prompt")] public string Prompt { get; init; } = "";
    /// <summary>Marks where the image goes in <see cref="Prompt"/>.</summary>
    [JsonPropertyName("image_placeholder")] public string ImagePlaceholder { get; init; } = "<image>";
    /// <summary>Text between the prompt and the answer.</summary>
    [JsonPropertyName("answer_separator")] public string AnswerSeparator { get; init; } = " ";
    /// <summary>What ends an answer: "eos" (the model's EOS id), "" (nothing) or a literal text.</summary>
    [JsonPropertyName("end_marker")] public string EndMarker { get; init; } = "eos";
    /// <summary>Whether candidate scores include the end marker's log-probability.</summary>
    [JsonPropertyName("score_end_marker")] public bool ScoreEndMarker { get; init; }
    /// <summary>Where BOS goes: "start" (first), "after_image" (first token after the image: BLIP-2's prepended queries) or "none".</summary>
    [JsonPropertyName("bos")] public string Bos { get; init; } = BosAtStart;
    /// <summary>Whether the prompt ends with EOS (T5 encoder inputs, as the T5 tokenizer appends it).</summary>
    [JsonPropertyName("prompt_eos")] public bool PromptEos { get; init; }
    /// <summary>Text the Q-Former instruction is made of (InstructBLIP), with <c>{question}</c>.</summary>
    [JsonPropertyName("instruction")] public string Instruction { get; init; } = "{question}";
    /// <summary>The classification question (the paper's "This is a photo of a").</summary>
    [JsonPropertyName("classification_question")] public string ClassificationQuestion { get; init; } = "This is a photo of a";

    /// <summary><see cref="Bos"/>: BOS first.</summary>
    public const string BosAtStart = "start";
    /// <summary><see cref="Bos"/>: BOS right after the image.</summary>
    public const string BosAfterImage = "after_image";
    /// <summary><see cref="Bos"/>: no BOS.</summary>
    public const string BosNone = "none";

    /// <summary>The Q-Former instruction text for a question.</summary>
    public string RenderInstruction(string question) => Instruction.Replace("{question}", question);

    /// <summary>The prompt text for a question (placeholder still in it).</summary>
    public string Render(string question) => Prompt.Replace("{system}", System).Replace("{question}", question);

    /// <summary>Parses a template; <paramref name="source"/> names it in errors.</summary>
    public static PromptTemplate Parse(string json, string source)
    {
        var t = JsonSerializer.Deserialize<PromptTemplate>(json) ?? throw new InvalidDataException($"{source}: empty template");
        if (!t.Prompt.Contains("{question}", StringComparison.Ordinal))
            throw new InvalidDataException($"{source}: template prompt has no {{question}}");
        var parts = t.Prompt.Split(t.ImagePlaceholder);
        if (parts.Length != 2)
            throw new InvalidDataException($"{source}: template prompt must hold the image placeholder '{t.ImagePlaceholder}' exactly once");
        if (t.Bos is not (BosAtStart or BosAfterImage or BosNone))
            throw new InvalidDataException($"{source}: template bos '{t.Bos}' (expected {BosAtStart}, {BosAfterImage} or {BosNone})");
        return t;
    }

    /// <summary>A built-in template by name (Models/Templates: llava-1.5, blip2-opt, blip2-t5, instructblip-vicuna, minigpt4, ...).</summary>
    public static PromptTemplate BuiltIn(string name)
    {
        var asm = typeof(PromptTemplate).Assembly;
        using var s = asm.GetManifestResourceStream($"Tvp.Templates.{name}.json")
            ?? throw new ArgumentException($"unknown prompt template '{name}' (known: {string.Join(", ", BuiltInNames())})");
        using var r = new StreamReader(s);
        return Parse(r.ReadToEnd(), name + ".json");
    }

    /// <summary>Names of the built-in templates.</summary>
    public static IEnumerable<string> BuiltInNames() => typeof(PromptTemplate).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith("Tvp.Templates.", StringComparison.Ordinal))
        .Select(n => n["Tvp.Templates.".Length..^".json".Length]);

    /// <summary>The checkpoint's own template (<c>tvp_template.json</c>), else the family's built-in default.</summary>
    public static PromptTemplate ForCheckpoint(string folder, string defaultName = "llava-1.5")
    {
        var p = Path.Combine(folder, "tvp_template.json");
        return File.Exists(p) ? Parse(File.ReadAllText(p), p) : BuiltIn(defaultName);
    }
}
