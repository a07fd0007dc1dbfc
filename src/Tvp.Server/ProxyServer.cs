using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Configuration;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Transforms;

namespace Tvp.Server;

/// <summary>
/// <c>tvp proxy</c>: an OpenAI-compatible reverse proxy (ASP.NET Core + YARP) in front of any vision-language
/// server. Every route is forwarded as is — headers (Authorization included), bodies, streamed (SSE) responses
/// — except that images in chat requests receive the visual prompt (<see cref="ProxyImageRewriter"/>).
/// <c>/health</c> and <c>/metrics</c> are answered by the proxy itself.
/// </summary>
public static class ProxyServer
{
    /// <summary>Builds the proxy application (not started).</summary>
    /// <exception cref="ArgumentException">An invalid option (names the flag).</exception>
    public static WebApplication Build(ProxyOptions options)
    {
        options.Validate();
        var prompts = PromptSet.Load(options.Prompts);
        var builder = ServerHost.CreateBuilder(options.Host);
        builder.Services.AddSingleton(prompts);
        builder.Services.AddReverseProxy()
            .LoadFromMemory(
                new[] { new RouteConfig { RouteId = "upstream", ClusterId = "upstream", Match = new RouteMatch { Path = "{**rest}" } } },
                new[]
                {
                    new ClusterConfig
                    {
                        ClusterId = "upstream",
                        Destinations = new Dictionary<string, DestinationConfig> { ["upstream"] = new() { Address = options.UpstreamRoot } },
                        HttpRequest = new Yarp.ReverseProxy.Forwarder.ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromMinutes(10) },
                    },
                })
            .AddTransforms(t =>
            {
                if (options.UpstreamApiKey is { Length: > 0 } key)
                    t.AddRequestHeader("Authorization", "Bearer " + key, append: false);
            });
        var app = builder.Build();
        var remote = options.FetchRemoteImages ? new HttpClient { Timeout = TimeSpan.FromSeconds(30) } : null;
        if (remote is not null) app.Lifetime.ApplicationStopped.Register(remote.Dispose);
        var metrics = app.Services.GetRequiredService<ServerMetrics>();
        var rewriter = new ProxyImageRewriter(prompts, new ImagePayload(options.Host.Limits, remote), options.Host.Limits, metrics);
        ServerHost.UseCommon(app, options.Host, "Tvp.Server.Proxy", () => new
        {
            status = "ok",
            upstream = options.UpstreamRoot,
            default_prompt = prompts.Default is not null,
            prompted_models = prompts.Models.ToArray(),
        });
        app.Use((context, next) => rewriter.InvokeAsync(context, () => next(context)));
        app.MapReverseProxy(pipeline => pipeline.Use(async (context, next) =>
        {
            await next();
            // YARP answers an unreachable or failing upstream with an empty 502/504: say why, OpenAI-style.
            if (context.GetForwarderErrorFeature() is { } failure)
            {
                var facts = RequestFacts.Of(context);
                facts.ErrorCode = "upstream_" + failure.Error;
                if (!context.Response.HasStarted)
                    await OpenAiError.WriteAsync(context, new ApiException(context.Response.StatusCode is >= 500 ? context.Response.StatusCode : 502,
                        $"the upstream {options.UpstreamRoot} failed: {failure.Exception?.Message ?? failure.Error.ToString()}", facts.ErrorCode, errorType: ErrorTypes.Server));
            }
        }));
        return app;
    }

    /// <summary>Builds and starts the proxy; the result knows the address it listens on.</summary>
    public static Task<RunningServer> StartAsync(ProxyOptions options, CancellationToken ct = default) =>
        ServerHost.StartAsync(Build(options), ct);
}
