namespace Tvp.Tests.Cli;

/// <summary>Runs the tvp command tree in-process with injected stdout/stderr writers (no global Console swapping).</summary>
public static class InProcessCli
{
    public static CliRunner.Result Run(params string[] args)
    {
        var (o, e) = (new StringWriter(), new StringWriter());
        int code = Tvp.Cli.CliApp.Run(args, o, e);
        return new CliRunner.Result(code, o.ToString(), e.ToString());
    }
}
