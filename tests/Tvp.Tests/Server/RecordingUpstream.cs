using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Tvp.Tests.Server;

/// <summary>
/// A fake OpenAI-compatible server on 127.0.0.1 (free port) that records every request it receives (method,
/// path, headers, body) and answers chat completions with a fixed reply, streamed as SSE when asked. When a
/// stream gate is set, it sends the first chunk and waits for the gate before the rest, so a test can prove
/// the proxy passes chunks through one by one.
/// </summary>
public sealed class RecordingUpstream : IAsyncDisposable
{
    public sealed record Received(string Method, string Path, Dictionary<string, string> Headers, byte[] Body)
    {
        public string Text => Encoding.UTF8.GetString(Body);
    }

    public static readonly string[] StreamPieces = { "one", " two", " three", " four" };

    private readonly WebApplication _app;
    public ConcurrentQueue<Received> Requests { get; } = new();
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>When set, streaming waits for it after the first content chunk.</summary>
    public TaskCompletionSource? StreamGate { get; set; }

    /// <summary>When set, served at GET /image.png (a remote image for --fetch-remote-images).</summary>
    public byte[]? RemoteImage { get; set; }

    private RecordingUpstream(WebApplication app) => _app = app;

    public static async Task<RecordingUpstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => { k.Listen(System.Net.IPAddress.Loopback, 0); k.Limits.MaxRequestBodySize = null; });
        var app = builder.Build();
        var up = new RecordingUpstream(app);
        app.Run(up.HandleAsync);
        await app.StartAsync();
        up.BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return up;
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var ms = new MemoryStream();
        await context.Request.Body.CopyToAsync(ms);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var received = new Received(context.Request.Method, context.Request.Path + context.Request.QueryString, headers, ms.ToArray());
        Requests.Enqueue(received);
        context.Response.Headers["X-Upstream"] = "recording";
        if (context.Request.Path == "/image.png" && RemoteImage is { } image)
        {
            context.Response.ContentType = "image/png";
            await context.Response.Body.WriteAsync(image);
            return;
        }
        if (context.Request.Path == "/v1/models")
        {
            await context.Response.WriteAsJsonAsync(new { @object = "list", data = new[] { new { id = "upstream-model", @object = "model", created = 1, owned_by = "me" } } });
            return;
        }
        if (context.Request.Path != "/v1/chat/completions") { context.Response.StatusCode = 404; return; }
        bool stream = received.Text.Contains("\"stream\":true", StringComparison.Ordinal);
        if (!stream)
        {
            await context.Response.WriteAsJsonAsync(new
            {
                id = "chatcmpl-up", @object = "chat.completion", created = 1, model = "upstream-model",
                choices = new[] { new { index = 0, message = new { role = "assistant", content = "recorded" }, finish_reason = "stop" } },
                usage = new { prompt_tokens = 3, completion_tokens = 1, total_tokens = 4 },
            });
            return;
        }
        context.Response.ContentType = "text/event-stream";
        for (int i = 0; i < StreamPieces.Length; i++)
        {
            var chunk = System.Text.Json.JsonSerializer.Serialize(new
            {
                id = "chatcmpl-up", @object = "chat.completion.chunk", created = 1, model = "upstream-model",
                choices = new[] { new { index = 0, delta = new { content = StreamPieces[i] }, finish_reason = i == StreamPieces.Length - 1 ? "stop" : null } },
            });
            await context.Response.WriteAsync("data: " + chunk + "\n\n");
            await context.Response.Body.FlushAsync();
            if (i == 0 && StreamGate is { } gate) await gate.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        await context.Response.WriteAsync("data: [DONE]\n\n");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
