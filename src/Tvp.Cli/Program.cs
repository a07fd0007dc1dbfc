namespace Tvp.Cli;

/// <summary>Entry point of the <c>tvp</c> command.</summary>
public static class Program
{
    /// <summary>Runs the command line; returns the exit code.</summary>
    public static int Main(string[] args)
    {
        using var signals = CliSignals.Register();
        return CliApp.Run(args, Console.Out, Console.Error, signals.Token);
    }
}
