using System.Text.Json;

namespace Tvp.Cli;

/// <summary>Runs a command body, turning expected failures into one clear line on stderr and a non-zero exit code.</summary>
internal static class CliAction
{
    /// <summary>Exit code for bad input (missing/corrupt files, wrong arguments).</summary>
    public const int BadInput = 2;

    /// <summary>Exit code when training diverged (non-finite values, <c>--on-nan stop</c>).</summary>
    public const int Diverged = 3;

    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Tvp.Training.TrainingDivergedException e)
        {
            CliContext.Err.WriteLine($"error: {e.Message}");
            return Diverged;
        }
        catch (Tvp.Training.TrainingInterruptedException e)
        {
            CliContext.Err.WriteLine(e.Message);
            return CliSignals.ExitCode;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException
                                     or ArgumentException or NotSupportedException or KeyNotFoundException
                                     or JsonException or FormatException or InvalidOperationException)
        {
            CliContext.Err.WriteLine($"error: {e.Message}");
            if (Environment.GetEnvironmentVariable("TVP_DEBUG") == "1") CliContext.Err.WriteLine(e);
            return BadInput;
        }
        catch (OperationCanceledException)
        {
            CliContext.Err.WriteLine("interrupted");
            return CliSignals.ExitCode;
        }
    }
}
