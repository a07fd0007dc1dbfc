using System.CommandLine;

namespace Tvp.Cli.Commands;

/// <summary>
/// <c>--prompt</c> is a visual prompt file in every command; <c>score</c> and <c>generate</c> take their question
/// text as <c>--question</c>. They still accept <c>--prompt</c> so that the old meaning gets a clear error.
/// </summary>
internal static class QuestionFlag
{
    /// <summary>The <c>--prompt</c> option of a command that applies no visual prompt.</summary>
    public static Option<string?> PromptOption() => new("--prompt")
    {
        Description = "Not used here (visual prompt files are for train/eval/apply/serve); the question text is --question.",
        Hidden = true,
    };

    /// <summary>Throws the one-line error for a <c>--prompt</c> value given to <c>score</c>/<c>generate</c>.</summary>
    public static void RejectPrompt(string? value)
    {
        if (value is null) return;
        throw new ArgumentException(File.Exists(value)
            ? $"--prompt expects a visual prompt file, which this command does not apply; the question text is --question"
            : $"--prompt expects a prompt file (prompt.safetensors), not text; the question text is --question");
    }
}
