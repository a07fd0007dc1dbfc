using System.Diagnostics;

namespace Tvp.Tests.Cli;

/// <summary>Runs the real `tvp` (Tvp.Cli.dll from the test output) as a child process.</summary>
public static class CliRunner
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(params string[] args) => RunIn(SharedData.RepoRoot, args);

    /// <summary>Starts tvp without waiting (output discarded).</summary>
    public static Process Start(params string[] args)
    {
        var psi = Info(SharedData.RepoRoot, args);
        psi.RedirectStandardOutput = false;
        psi.RedirectStandardError = false;
        return Process.Start(psi)!;
    }

    private static ProcessStartInfo Info(string workingDirectory, string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Tvp.Cli.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["TVP_CACHE"] = Path.Combine(Path.GetTempPath(), "tvp-test-cache");
        return psi;
    }

    public static Result RunIn(string workingDirectory, params string[] args) => RunWith(workingDirectory, null, args);

    /// <summary>Runs tvp with extra environment variables (e.g. a locale).</summary>
    public static Result RunWith(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var psi = Info(workingDirectory, args);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(600_000)) { p.Kill(true); throw new TimeoutException("tvp did not finish: " + string.Join(" ", args)); }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}
