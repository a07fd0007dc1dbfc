namespace Tvp.IO;

/// <summary>
/// Documented bounds on every size read from a file (model cards, HF configs, prompt headers, images, text files)
/// before anything is allocated. A size outside its bound is a one-line <see cref="InvalidDataException"/> naming
/// the file and field. The defaults fit every real checkpoint tvp targets (up to 13B-parameter LLaVA) with room;
/// replace <see cref="Current"/> to change them.
/// </summary>
public sealed record Limits
{
    /// <summary>The default pixel-count bound of one image (64 MP).</summary>
    public const long DefaultMaxImagePixels = 64_000_000;

    /// <summary>Most parameters a configured model may have.</summary>
    public long MaxParameters { get; init; } = 20_000_000_000;
    /// <summary>Most elements of one activation tensor a configuration may imply (batch 1).</summary>
    public long MaxActivationElements { get; init; } = 2_000_000_000;
    /// <summary>Most layers / blocks a configuration may declare.</summary>
    public int MaxLayers { get; init; } = 1024;
    /// <summary>Widest hidden size / channel count.</summary>
    public int MaxWidth { get; init; } = 65_536;
    /// <summary>Largest vocabulary / class count.</summary>
    public int MaxVocabulary { get; init; } = 1 << 20;
    /// <summary>Largest model input side / canvas side in pixels.</summary>
    public int MaxCanvasSize { get; init; } = 8192;
    /// <summary>Longest token sequence (position embeddings).</summary>
    public int MaxSequenceLength { get; init; } = 1 << 20;
    /// <summary>Largest text file read whole (class lists, label maps, tokenizer files, JSON configs), in bytes.</summary>
    public long MaxTextFileBytes { get; init; } = 256L << 20;
    /// <summary>Longest question / answer text in a JSONL task, in characters.</summary>
    public int MaxQuestionChars { get; init; } = 16_384;

    /// <summary>The limits in force.</summary>
    public static Limits Current { get; set; } = new();

    /// <summary>Requires 1 ≤ <paramref name="value"/> ≤ <paramref name="max"/>; the error names the file and field.</summary>
    public static int Positive(string file, string field, long value, long max)
    {
        if (value < 1 || value > max)
            throw new InvalidDataException($"{file}: '{field}' must be in 1..{max}, got {value}");
        return (int)Math.Min(value, int.MaxValue);
    }

    /// <summary>Requires a finite value in (<paramref name="min"/>, <paramref name="max"/>]; the error names the file and field.</summary>
    public static double FiniteAbove(string file, string field, double value, double min, double max = double.MaxValue)
    {
        if (!double.IsFinite(value) || value <= min || value > max)
            throw new InvalidDataException($"{file}: '{field}' must be a finite number > {min}{(max < double.MaxValue ? $" and <= {max}" : "")}, got {value}");
        return value;
    }

    /// <summary>Requires <paramref name="total"/> ≤ <see cref="MaxParameters"/>.</summary>
    public void CheckParameters(string file, double total)
    {
        if (total > MaxParameters)
            throw new InvalidDataException($"{file}: the configuration implies {total:G3} parameters, above the limit of {MaxParameters:G3}");
    }

    /// <summary>Requires <paramref name="elements"/> ≤ <see cref="MaxActivationElements"/>.</summary>
    public void CheckActivation(string file, string what, double elements)
    {
        if (elements > MaxActivationElements)
            throw new InvalidDataException($"{file}: {what} would hold {elements:G3} elements, above the limit of {MaxActivationElements:G3}");
    }
}
