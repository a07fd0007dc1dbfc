using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Tvp.Server;

/// <summary>
/// The ASP.NET Core (Kestrel) host both servers are built on: listening address, body limit, logs, the
/// request log / error middleware, the API key check, <c>/health</c> and <c>/metrics</c>.
/// </summary>
public static class ServerHost
{
    /// <summary>A builder with Kestrel bound to <see cref="HostOptions.Listen"/>, the body limit and the log format.</summary>
    public static WebApplicationBuilder CreateBuilder(HostOptions options)
    {
        options.Validate();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = Array.Empty<string>() });
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(options.Listen.Address, options.Listen.Port);
            k.Limits.MaxRequestBodySize = options.Limits.MaxBodyBytes;
            k.AddServerHeader = false;
        });
        builder.Logging.ClearProviders();
        switch (options.Logs)
        {
            case LogFormat.Json: builder.Logging.AddJsonConsole(); break;
            case LogFormat.Quiet: builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning); break;
            default: builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }); break;
        }
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // Forwarding failures are logged once, as the request's line (error=upstream_...), without YARP's stack trace.
        builder.Logging.AddFilter("Yarp", LogLevel.Error);
        builder.Logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
        // A failed start (port in use) reaches the caller as an exception: the CLI prints it as one line.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        builder.Services.AddSingleton(new ServerMetrics());
        return builder;
    }

    /// <summary>
    /// Adds the request log / error translation, the API key check and the <c>/health</c> and <c>/metrics</c>
    /// routes. <paramref name="health"/> gives the body of <c>/health</c>.
    /// </summary>
    public static void UseCommon(WebApplication app, HostOptions options, string logCategory, Func<object> health)
    {
        var metrics = app.Services.GetRequiredService<ServerMetrics>();
        var log = new RequestLog(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(logCategory), metrics);
        var key = new ApiKeyCheck(options.ApiKey);
        app.Use((context, next) => log.InvokeAsync(context, () => next(context)));
        app.Use((context, next) =>
        {
            if (context.Request.Path != "/health" && !key.Allows(context.Request)) throw ApiKeyCheck.Refusal();
            return next(context);
        });
        app.MapGet("/health", () => Results.Json(health()));
        app.MapMetrics("/metrics", metrics.Registry);
    }

    /// <summary>Starts <paramref name="app"/> and returns it with the address it actually listens on (port 0 resolved).</summary>
    public static async Task<RunningServer> StartAsync(WebApplication app, CancellationToken ct = default)
    {
        await app.StartAsync(ct);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        var first = addresses?.FirstOrDefault() ?? throw new InvalidOperationException("the server reports no listening address");
        return new RunningServer(app, new Uri(first.Replace("[::]", "localhost", StringComparison.Ordinal)));
    }
}

/// <summary>A started server: its base address; disposing stops it.</summary>
public sealed class RunningServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    /// <summary>The address it listens on, e.g. <c>http://127.0.0.1:43127</c>.</summary>
    public Uri BaseAddress { get; }

    internal RunningServer(WebApplication app, Uri baseAddress) { _app = app; BaseAddress = baseAddress; }

    /// <summary>Completes when the server is asked to stop (Ctrl+C, SIGTERM).</summary>
    public Task WaitForShutdownAsync(CancellationToken ct = default) => _app.WaitForShutdownAsync(ct);

    /// <summary>Stops the server and releases what it holds.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
