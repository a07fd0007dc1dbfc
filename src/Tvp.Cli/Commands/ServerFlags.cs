using System.CommandLine;
using Tvp.Server;

namespace Tvp.Cli.Commands;

/// <summary>The flags <c>tvp serve</c> and <c>tvp proxy</c> share (listening address, API key, limits, logs), parsed into <see cref="HostOptions"/>.</summary>
internal sealed class ServerFlags
{
    private readonly Option<string> _listen = new("--listen") { Description = "HOST:PORT to listen on (loopback unless told otherwise; another address needs --api-key).", DefaultValueFactory = _ => ListenAddress.Default.ToString() };
    private readonly Option<string?> _apiKey = new("--api-key") { Description = "Require 'Authorization: Bearer KEY' on every route but /health (default: $TVP_API_KEY)." };
    private readonly Option<long> _maxBody = new("--max-body-bytes") { Description = "Largest request body.", DefaultValueFactory = _ => ServerLimits.DefaultMaxBodyBytes };
    private readonly Option<long> _maxImageBytes = new("--max-image-bytes") { Description = "Largest encoded image.", DefaultValueFactory = _ => ServerLimits.DefaultMaxImageBytes };
    private readonly Option<long> _maxPixels = new("--max-image-pixels") { Description = "Largest width×height, read from the header before decoding.", DefaultValueFactory = _ => ServerLimits.DefaultMaxImagePixels };
    private readonly Option<int> _maxImages = new("--max-images") { Description = "Most images per request.", DefaultValueFactory = _ => ServerLimits.DefaultMaxImagesPerRequest };
    private readonly Option<LogFormat> _logs = new("--log-format") { Description = "Request logs: Text, Json (one object per line) or Quiet.", DefaultValueFactory = _ => LogFormat.Text };

    /// <summary>Adds the flags to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { _listen, _apiKey, _maxBody, _maxImageBytes, _maxPixels, _maxImages, _logs }) command.Options.Add(o);
    }

    /// <summary>The parsed host options.</summary>
    public HostOptions Parse(ParseResult r)
    {
        var key = r.GetValue(_apiKey) ?? Environment.GetEnvironmentVariable("TVP_API_KEY");
        return new HostOptions(ListenAddress.Parse(r.GetValue(_listen)!), string.IsNullOrEmpty(key) ? null : key,
            new ServerLimits(r.GetValue(_maxBody), r.GetValue(_maxImageBytes), r.GetValue(_maxPixels), r.GetValue(_maxImages)),
            r.GetValue(_logs));
    }

    /// <summary>Starts a server, prints where it listens, and blocks until Ctrl+C / SIGTERM.</summary>
    public static int RunUntilStopped(Func<Task<RunningServer>> start, string what)
    {
        var server = start().GetAwaiter().GetResult();
        try
        {
            Console.Error.WriteLine($"{what} listening on {server.BaseAddress} (Ctrl+C stops)");
            server.WaitForShutdownAsync().GetAwaiter().GetResult();
        }
        finally { server.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
        return 0;
    }
}
