using System.Text.Json;

namespace Tvp.Cli;

/// <summary>Runs a command body, turning expected failures into one clear line on stderr and a non-zero exit code.</summary>
internal static class CliAction
{
    /// <summary>Exit code for bad input (missing/corrupt files, wrong arguments).</summary>
    public const int BadInput = 2;

    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException
                                     or ArgumentException or NotSupportedException or KeyNotFoundException
                                     or JsonException or FormatException or InvalidOperationException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            if (Environment.GetEnvironmentVariable("TVP_DEBUG") == "1") Console.Error.WriteLine(e);
            return BadInput;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("error: cancelled");
            return 130;
        }
    }
}
