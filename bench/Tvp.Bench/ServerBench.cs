using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StbImageWriteSharp;
using Tvp.Prompts;
using Tvp.Server;
using static TorchSharp.torch;

namespace Tvp.Bench;

/// <summary>
/// <c>tvp proxy</c> overhead: a bounded loopback load run (a fixed number of chat requests, each with one PNG
/// image, at 1, 8 and 32 concurrent clients) against a canned upstream, direct and through the proxy, reporting
/// requests/s and p50/p99 latency and the proxied/direct ratio from the same run; then the image rewrite's cost
/// (decode, resize, prompt, PNG encode) per input megapixel. Args: [--requests N] [--image PX] [--canvas PX].
/// </summary>
public static class ServerBench
{
    public static int Run(string[] args)
    {
        string Arg(string name, string d) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : d; }
        int requests = int.Parse(Arg("--requests", "256")), imagePx = int.Parse(Arg("--image", "336")), canvas = int.Parse(Arg("--canvas", "224"));
        var dir = Path.Combine(Path.GetTempPath(), "tvp-server-bench-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        try { return RunAsync(dir, requests, imagePx, canvas).GetAwaiter().GetResult(); }
        finally { Directory.Delete(dir, true); }
    }

    private static async Task<int> RunAsync(string dir, int requests, int imagePx, int canvas)
    {
        int inner = canvas - 2 * (canvas * 30 / 224);
        var promptFile = Path.Combine(dir, "prompt.safetensors");
        using (var g = new Generator(1))
        using (var vp = new VisualPrompt(PromptShape.Padding, canvas, (canvas - inner) / 2, rand(new long[] { 3, canvas, canvas }, generator: g) - 0.5f))
            PromptFile.Save(promptFile, vp, new PromptMetadata(PromptShape.Padding, canvas, inner, (canvas - inner) / 2));

        await using var upstream = await CannedUpstream.StartAsync();
        var host = new HostOptions(new ListenAddress(IPAddress.Loopback, 0), null, new ServerLimits(), LogFormat.Quiet);
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions(host, upstream.BaseAddress, new[] { new PromptSpec(null, promptFile) }));
        var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            model = "bench",
            max_tokens = 8,
            messages = new[] { new { role = "user", content = new object[] { new { type = "text", text = "what is this?" }, new { type = "image_url", image_url = new { url = "data:image/png;base64," + Convert.ToBase64String(Png(imagePx, imagePx)) } } } } },
        }));
        Console.WriteLine($"server bench: {requests} chat requests per row, one {imagePx}x{imagePx} PNG each ({body.Length / 1024} KiB body), prompt canvas {canvas} px, loopback, canned upstream");
        Console.WriteLine($"{"clients",8} {"direct req/s",13} {"p50 ms",8} {"p99 ms",8} {"proxied req/s",14} {"p50 ms",8} {"p99 ms",8} {"proxied/direct req/s",21}");
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { Timeout = TimeSpan.FromMinutes(5) };
        await Load(http, new Uri(proxy.BaseAddress, "/v1/chat/completions"), body, Math.Min(16, requests), 4);   // warm-up (JIT, connections)
        foreach (int clients in new[] { 1, 8, 32 })
        {
            var d = await Load(http, new Uri(upstream.BaseAddress, "/v1/chat/completions"), body, requests, clients);
            var p = await Load(http, new Uri(proxy.BaseAddress, "/v1/chat/completions"), body, requests, clients);
            Console.WriteLine($"{clients,8} {d.Rps,13:F1} {d.P50,8:F2} {d.P99,8:F2} {p.Rps,14:F1} {p.P50,8:F2} {p.P99,8:F2} {p.Rps / d.Rps,21:F3}");
        }

        Console.WriteLine("image rewrite (decode + resize + prompt + PNG encode), by input size:");
        using var applier = PromptApplier.Load(promptFile);
        foreach (int side in new[] { 256, 512, 1024, 2048 })
        {
            var png = Png(side, side);
            applier.ApplyToPng(png, "warm-up");
            int reps = Math.Max(3, 40 * 256 * 256 / (side * side));
            var w = Stopwatch.StartNew();
            for (int i = 0; i < reps; i++) applier.ApplyToPng(png, "bench");
            double ms = w.Elapsed.TotalMilliseconds / reps, mp = side * side / 1e6;
            Console.WriteLine($"  {side,5}x{side,-5} {mp,6:F2} MP  {ms,8:F2} ms/image  {ms / mp,8:F2} ms/MP");
        }
        return 0;
    }

    private sealed record LoadResult(double Rps, double P50, double P99);

    /// <summary>Sends <paramref name="total"/> requests from <paramref name="clients"/> concurrent loops; every response must be 200.</summary>
    private static async Task<LoadResult> Load(HttpClient http, Uri url, byte[] body, int total, int clients)
    {
        var latencies = new double[total];
        int next = -1;
        var wall = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < total)
            {
                var w = Stopwatch.StartNew();
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                using var resp = await http.PostAsync(url, content);
                await resp.Content.ReadAsByteArrayAsync();
                if (!resp.IsSuccessStatusCode) throw new InvalidOperationException($"{url}: HTTP {(int)resp.StatusCode}");
                latencies[i] = w.Elapsed.TotalMilliseconds;
            }
        }));
        double seconds = wall.Elapsed.TotalSeconds;
        Array.Sort(latencies);
        double Pct(double q) => latencies[Math.Min(total - 1, (int)Math.Ceiling(q * total) - 1)];
        return new LoadResult(total / seconds, Pct(0.50), Pct(0.99));
    }

    private static byte[] Png(int w, int h)
    {
        var rng = new Random(w * 31 + h);
        var rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++) rgb[(y * w + x) * 3 + c] = (byte)((x * (c + 2) + y * 3 + rng.Next(24)) & 0xff);
        using var ms = new MemoryStream();
        new ImageWriter().WritePng(rgb, w, h, ColorComponents.RedGreenBlue, ms);
        return ms.ToArray();
    }

    /// <summary>An upstream that reads each request and answers one fixed chat completion (the proxy's cost is what is measured).</summary>
    private sealed class CannedUpstream : IAsyncDisposable
    {
        private static readonly byte[] Reply = Encoding.UTF8.GetBytes(
            """{"id":"c","object":"chat.completion","created":1,"model":"bench","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}""");
        private readonly WebApplication _app;
        public Uri BaseAddress { get; }

        private CannedUpstream(WebApplication app, Uri address) { _app = app; BaseAddress = address; }

        public static async Task<CannedUpstream> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => { k.Listen(IPAddress.Loopback, 0); k.Limits.MaxRequestBodySize = null; });
            var app = builder.Build();
            app.Run(async context =>
            {
                await context.Request.Body.CopyToAsync(Stream.Null);
                context.Response.ContentType = "application/json";
                await context.Response.Body.WriteAsync(Reply);
            });
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new CannedUpstream(app, new Uri(address));
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
