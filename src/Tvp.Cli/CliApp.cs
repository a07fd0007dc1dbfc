using System.Globalization;
using System.CommandLine;
using Tvp.Cli.Commands;

namespace Tvp.Cli;

/// <summary>Builds the <c>tvp</c> command tree. Each command lives in its own file under Commands/.</summary>
public static class CliApp
{
    // The demo's families (zoo models, offline guide, fashion-mnist study data): the one line that plugs it in.
    static CliApp() => Demo.DemoFamilies.Register();

    /// <summary>
    /// Runs the command line with <paramref name="output"/>/<paramref name="error"/> as stdout/stderr (tests pass
    /// their own writers; nothing swaps the process console) and <paramref name="cancel"/> as the interrupt.
    /// </summary>
    public static int Run(string[] args, TextWriter output, TextWriter error, CancellationToken cancel = default)
    {
        // Globalization is on (ICU, for Unicode normalisation); numbers in files, logs and flags must not follow
        // the user's locale (LANG=de_DE would write 0,5), so every thread of the command uses the invariant culture.
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.DefaultThreadCurrentUICulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;
        return CliContext.With(output, error, cancel, () =>
            Build().Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error }));
    }

    /// <summary>The root command with every sub-command.</summary>
    public static RootCommand Build()
    {
        var root = new RootCommand("tvp — Transferable Visual Prompting: learn one pixel-space prompt on a source model, use it on many targets.");
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(TransferCommand.Create());
        root.Subcommands.Add(ApplyCommand.Create());
        root.Subcommands.Add(ModelsCommand.Create());
        root.Subcommands.Add(EncodeCommand.Create());
        root.Subcommands.Add(ScoreCommand.Create());
        root.Subcommands.Add(GenerateCommand.Create());
        root.Subcommands.Add(ReportCommand.Create());
        root.Subcommands.Add(StudyCommand.Create());
        root.Subcommands.Add(MergeCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(ProxyCommand.Create());
        return root;
    }
}
