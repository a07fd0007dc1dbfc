namespace Tvp.Prompts;

/// <summary>Where on the canvas the prompt lives.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(PromptShapeJsonConverter))]
public enum PromptShape
{
    /// <summary>A border of width p on every side (the paper's default).</summary>
    Padding,
    /// <summary>A p×p patch at the top-left corner.</summary>
    FixedPatch,
    /// <summary>A p×p patch at a random position per training batch; top-left at evaluation.</summary>
    RandomPatch,
    /// <summary>The whole canvas.</summary>
    Full,
}

/// <summary>Parses and prints prompt shapes in their CLI spelling (padding, fixed-patch, random-patch, full).</summary>
public static class PromptShapes
{
    /// <summary>The CLI spelling of a shape.</summary>
    public static string Name(this PromptShape shape) => shape switch
    {
        PromptShape.Padding => "padding",
        PromptShape.FixedPatch => "fixed-patch",
        PromptShape.RandomPatch => "random-patch",
        _ => "full",
    };

    /// <summary>Parses padding | fixed-patch | random-patch | full.</summary>
    /// <exception cref="ArgumentException">Unknown shape.</exception>
    public static PromptShape Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "padding" or "pad" => PromptShape.Padding,
        "fixed-patch" or "fixed_patch" or "fixedpatch" => PromptShape.FixedPatch,
        "random-patch" or "random_patch" or "randompatch" => PromptShape.RandomPatch,
        "full" => PromptShape.Full,
        _ => throw new ArgumentException($"unknown prompt shape '{text}' (padding, fixed-patch, random-patch, full)"),
    };
}
