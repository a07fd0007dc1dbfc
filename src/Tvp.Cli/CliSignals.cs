using System.Runtime.InteropServices;

namespace Tvp.Cli;

/// <summary>
/// SIGINT/SIGTERM handling for the <c>tvp</c> process: the first signal cancels the running command (training writes
/// a final checkpoint and says how to resume; the exit code is 130 for SIGINT, 143 for SIGTERM); a second one
/// terminates at once.
/// </summary>
internal sealed class CliSignals : IDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly PosixSignalRegistration[] _registrations;

    /// <summary>The exit code of an interrupted command: 128 + the signal number (SIGINT unless SIGTERM came).</summary>
    public static int ExitCode { get; private set; } = 130;

    private CliSignals()
    {
        _registrations = new[]
        {
            PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Handle(c, 130)),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Handle(c, 143)),
        };
    }

    /// <summary>Starts listening; dispose to stop.</summary>
    public static CliSignals Register() => new();

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => _cts.Token;

    private void Handle(PosixSignalContext context, int exitCode)
    {
        if (_cts.IsCancellationRequested) return; // second signal: default behaviour (terminate)
        ExitCode = exitCode;
        context.Cancel = true;
        CliContext.Err.WriteLine($"{context.Signal} received: stopping after the current step (send it again to terminate at once)");
        _cts.Cancel();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _cts.Dispose();
    }
}
