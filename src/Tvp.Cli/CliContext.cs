using Spectre.Console;

namespace Tvp.Cli;

/// <summary>
/// The writers and cancellation of one CLI invocation. They flow with the call (an <see cref="AsyncLocal{T}"/>),
/// so tests run the CLI in-process with their own writers while other tests run in parallel — the process-wide
/// <see cref="System.Console"/> is never swapped.
/// </summary>
public sealed class CliContext
{
    private static readonly AsyncLocal<CliContext?> Ambient = new();
    private static readonly CliContext Process = new(System.Console.Out, System.Console.Error, CancellationToken.None, interactive: true);

    private CliContext(TextWriter output, TextWriter error, CancellationToken cancel, bool interactive)
    {
        Output = output;
        Error = error;
        Cancel = cancel;
        Interactive = interactive && !System.Console.IsErrorRedirected;
        Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Interactive = interactive ? InteractionSupport.Detect : InteractionSupport.No, Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No });
        ErrorConsole = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(error), Interactive = interactive ? InteractionSupport.Detect : InteractionSupport.No, Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No });
    }

    /// <summary>The current invocation's context (the process console when none was set).</summary>
    public static CliContext Current => Ambient.Value ?? Process;

    /// <summary>stdout.</summary>
    public TextWriter Output { get; }
    /// <summary>stderr.</summary>
    public TextWriter Error { get; }
    /// <summary>Set when the user interrupts (SIGINT/SIGTERM).</summary>
    public CancellationToken Cancel { get; }
    /// <summary>Whether live progress bars may be drawn on stderr.</summary>
    public bool Interactive { get; }
    /// <summary>Spectre console on stdout (tables, markup).</summary>
    public IAnsiConsole Console { get; }
    /// <summary>Spectre console on stderr (progress).</summary>
    public IAnsiConsole ErrorConsole { get; }

    /// <summary>stdout of the current invocation.</summary>
    public static TextWriter Out => Current.Output;
    /// <summary>stderr of the current invocation.</summary>
    public static TextWriter Err => Current.Error;

    /// <summary>Runs <paramref name="body"/> with the given writers as this flow's stdout/stderr.</summary>
    public static T With<T>(TextWriter output, TextWriter error, CancellationToken cancel, Func<T> body)
    {
        var saved = Ambient.Value;
        Ambient.Value = new CliContext(output, error, cancel, interactive: ReferenceEquals(output, System.Console.Out));
        try { return body(); }
        finally { Ambient.Value = saved; }
    }
}
