using System.ClientModel;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Chat;
using Tvp.Data;
using Tvp.Server;
using Tvp.Tests.Cli;

namespace Tvp.Tests.Server;

/// <summary>
/// <c>tvp proxy</c> between the official OpenAI client and a recording upstream, over real loopback sockets:
/// the upstream's image is <c>tvp apply</c>'s PNG, everything else arrives unchanged, streams arrive chunk by
/// chunk, and every refused input gets its 4xx while the next good request still works.
/// </summary>
public sealed class ProxyTests : IAsyncLifetime
{
    private readonly TempDir _tmp = new();
    private RecordingUpstream _upstream = null!;
    private string _promptA = null!, _promptB = null!;

    public async Task InitializeAsync()
    {
        _upstream = await RecordingUpstream.StartAsync();
        _promptA = ServerTestFiles.WritePrompt(_tmp.Path, "a.safetensors", canvas: 48, image: 32, seed: 1);
        _promptB = ServerTestFiles.WritePrompt(_tmp.Path, "b.safetensors", canvas: 40, image: 30, seed: 2);
    }

    public async Task DisposeAsync()
    {
        await _upstream.DisposeAsync();
        _tmp.Dispose();
    }

    private Task<RunningServer> StartProxy(ServerLimits? limits = null, string? apiKey = null, params PromptSpec[] prompts) =>
        ProxyServer.StartAsync(new ProxyOptions(
            new HostOptions(new ListenAddress(IPAddress.Loopback, 0), apiKey, limits ?? new ServerLimits(), LogFormat.Quiet),
            _upstream.BaseAddress, prompts.Length > 0 ? prompts : new[] { new PromptSpec(null, _promptA) }));

    private static ChatClient Client(RunningServer proxy, string model, string key = "client-key") =>
        new(model, new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(proxy.BaseAddress, "/v1") });

    private static UserChatMessage ImageMessage(string text, params byte[][] images) =>
        new(new[] { ChatMessageContentPart.CreateTextPart(text) }
            .Concat(images.Select(i => ChatMessageContentPart.CreateImagePart(BinaryData.FromBytes(i), "image/png"))).ToArray());

    private RecordingUpstream.Received LastChat() =>
        _upstream.Requests.Last(r => r.Path == "/v1/chat/completions");

    private static string[] ImageUrls(RecordingUpstream.Received r) =>
        JsonNode.Parse(r.Body)!["messages"]!.AsArray().SelectMany(m => m!["content"] is JsonArray a ? a : new JsonArray())
            .Where(p => (string?)p!["type"] == "image_url").Select(p => (string)p!["image_url"]!["url"]!).ToArray();

    [Fact]
    public async Task Upstream_receives_exactly_the_png_tvp_apply_writes_with_the_prompt_of_the_requested_model()
    {
        var imageA = ServerTestFiles.Png(57, 41, seed: 3);
        var imageB = ServerTestFiles.Png(20, 33, seed: 4);
        File.WriteAllBytes(_tmp.File("imgA.png"), imageA);
        File.WriteAllBytes(_tmp.File("imgB.png"), imageB);
        var applied = CliRunner.Run("apply", "--prompt", _promptA, "--images", _tmp.File("imgA.png"), _tmp.File("imgB.png"), "--out", _tmp.File("outA"), "--quiet");
        Assert.True(applied.ExitCode == 0, applied.Stderr);
        var appliedB = CliRunner.Run("apply", "--prompt", _promptB, "--images", _tmp.File("imgA.png"), "--out", _tmp.File("outB"), "--quiet");
        Assert.True(appliedB.ExitCode == 0, appliedB.Stderr);

        await using var proxy = await StartProxy(prompts: new[] { new PromptSpec(null, _promptA), new PromptSpec("model-b", _promptB) });
        var reply = await Client(proxy, "model-a").CompleteChatAsync(ImageMessage("what is this?", imageA, imageB));
        Assert.Equal("recorded", reply.Value.Content[0].Text);
        var urls = ImageUrls(LastChat());
        Assert.Equal(2, urls.Length);
        AssertSamePixels(File.ReadAllBytes(Path.Combine(_tmp.File("outA"), "imgA.png")), ServerTestFiles.DataUrlBytes(urls[0]));
        AssertSamePixels(File.ReadAllBytes(Path.Combine(_tmp.File("outA"), "imgB.png")), ServerTestFiles.DataUrlBytes(urls[1]));

        await Client(proxy, "model-b").CompleteChatAsync(ImageMessage("and this?", imageA));
        var urlB = Assert.Single(ImageUrls(LastChat()));
        AssertSamePixels(File.ReadAllBytes(Path.Combine(_tmp.File("outB"), "imgA.png")), ServerTestFiles.DataUrlBytes(urlB));
    }

    private static void AssertSamePixels(byte[] expectedPng, byte[] actualPng)
    {
        var (e, ew, eh) = ImageDecoder.Decode(expectedPng, "tvp apply output");
        var (a, aw, ah) = ImageDecoder.Decode(actualPng, "upstream image");
        Assert.Equal((ew, eh), (aw, ah));
        Assert.Equal(e, a);
    }

    [Fact]
    public async Task Models_without_a_prompt_pass_unchanged_and_so_do_headers_text_and_other_routes()
    {
        await using var proxy = await StartProxy(prompts: new PromptSpec("only-this-model", _promptA));
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };
        var image = ServerTestFiles.Png(16, 16, seed: 5);
        var body = $$$"""{"model":"other","temperature":0.25,"x_custom":{"keep":[1,2.50,"three"]},"messages":[{"role":"system","content":"be brief"},{"role":"user","content":[{"type":"text","text":"héllo \"quoted\""},{"type":"image_url","image_url":{"url":"data:image/png;base64,{{{Convert.ToBase64String(image)}}}","detail":"low"}}]}]}""";
        using var req = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk-upstream-secret");
        req.Headers.Add("X-Trace", "trace-123");
        using var resp = await http.SendAsync(req);
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        Assert.Equal("recording", resp.Headers.GetValues("X-Upstream").Single());
        var got = LastChat();
        Assert.Equal(body, got.Text);                                  // byte for byte: no prompt for this model
        Assert.Equal("Bearer sk-upstream-secret", got.Headers["Authorization"]);
        Assert.Equal("trace-123", got.Headers["X-Trace"]);

        // With a prompt, only the image URL changes: every other field is the same JSON.
        var prompted = body.Replace("\"model\":\"other\"", "\"model\":\"only-this-model\"", StringComparison.Ordinal);
        using var req2 = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(prompted, Encoding.UTF8, "application/json") };
        using (var resp2 = await http.SendAsync(req2)) Assert.Equal(HttpStatusCode.OK, resp2.StatusCode);
        var sent = JsonNode.Parse(prompted)!;
        var received = JsonNode.Parse(LastChat().Body)!;
        var url = (string)received["messages"]![1]!["content"]![1]!["image_url"]!["url"]!;
        Assert.NotEqual((string)sent["messages"]![1]!["content"]![1]!["image_url"]!["url"]!, url);
        Assert.Equal(48 * 48, Size(ServerTestFiles.DataUrlBytes(url)));
        received["messages"]![1]!["content"]![1]!["image_url"]!["url"] = (string)sent["messages"]![1]!["content"]![1]!["image_url"]!["url"]!;
        Assert.True(JsonNode.DeepEquals(sent, received), received.ToJsonString());

        using var models = await http.GetAsync("/v1/models?limit=5");
        Assert.Equal(HttpStatusCode.OK, models.StatusCode);
        Assert.Contains("upstream-model", await models.Content.ReadAsStringAsync());
        Assert.Equal("/v1/models?limit=5", _upstream.Requests.Last().Path);
    }

    private static int Size(byte[] png)
    {
        var (_, w, h) = ImageDecoder.Decode(png, "png");
        return w * h;
    }

    [Fact]
    public async Task Streamed_answers_arrive_in_order_chunk_by_chunk()
    {
        await using var proxy = await StartProxy();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _upstream.StreamGate = gate;
        var pieces = new List<string>();
        await foreach (var update in Client(proxy, "m").CompleteChatStreamingAsync(new[] { ImageMessage("stream please", ServerTestFiles.Png(10, 12, 6)) }))
        {
            foreach (var part in update.ContentUpdate)
            {
                pieces.Add(part.Text);
                // The upstream holds the rest until the first piece has reached the client through the proxy.
                if (pieces.Count == 1) gate.TrySetResult();
            }
        }
        Assert.Equal(RecordingUpstream.StreamPieces, pieces);
        Assert.Single(ImageUrls(LastChat()));
    }

    public static TheoryData<string, string, int, string> BadRequests() => new()
    {
        { "malformed JSON", "{\"model\": \"m\", \"messages\": [", 400, "invalid_json" },
        { "not an object", "[1,2,3]", 400, "invalid_json" },
        { "no messages", "{\"model\":\"m\"}", 400, "invalid_messages" },
        { "non-image data", Chat("data:image/png;base64," + Convert.ToBase64String(Encoding.UTF8.GetBytes("this is not an image at all"))), 400, "invalid_image" },
        { "not base64", Chat("data:image/png;base64,@@@notbase64@@@"), 400, "invalid_image_url" },
        { "file path", Chat("/etc/passwd"), 400, "invalid_image_url" },
        { "file URL", Chat("file:///etc/passwd"), 400, "invalid_image_url" },
        { "remote URL without --fetch-remote-images", Chat("http://127.0.0.1:9/x.png"), 400, "remote_images_disabled" },
        { "too many pixels (small file, large header)", Chat(Data(ServerTestFiles.FlatPng(200, 100))), 400, "image_too_many_pixels" },
        { "too many bytes", Chat(Data(new byte[6000])), 400, "image_too_large" },
        { "too many images", Chat(Data(ServerTestFiles.Png(8, 8, 8)), Data(ServerTestFiles.Png(8, 8, 9)), Data(ServerTestFiles.Png(8, 8, 10))), 400, "too_many_images" },
        { "body too large", Chat(Data(ServerTestFiles.Png(8, 8, 8))) + new string(' ', 20_000), 413, "body_too_large" },
    };

    private static string Data(byte[] b) => "data:image/png;base64," + Convert.ToBase64String(b);

    private static string Chat(params string[] urls) => JsonSerializer.Serialize(new
    {
        model = "m",
        messages = new[] { new { role = "user", content = new object[] { new { type = "text", text = "q" } }.Concat(urls.Select(u => (object)new { type = "image_url", image_url = new { url = u } })).ToArray() } },
    });

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_input_gets_its_4xx_as_openai_error_json_and_the_next_good_request_succeeds(string what, string body, int status, string code)
    {
        var limits = new ServerLimits(MaxBodyBytes: 16_000, MaxImageBytes: 5_000, MaxImagePixels: 5_000, MaxImagesPerRequest: 2);
        await using var proxy = await StartProxy(limits);
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };
        int before = _upstream.Requests.Count;
        using var resp = await http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.True(status == (int)resp.StatusCode, $"{what}: {(int)resp.StatusCode} {await resp.Content.ReadAsStringAsync()}");
        var error = JsonNode.Parse(await resp.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal(code, (string)error["code"]!);
        Assert.False(string.IsNullOrEmpty((string)error["message"]!));
        Assert.Equal(before, _upstream.Requests.Count);                 // nothing refused reaches the upstream

        var ok = await Client(proxy, "m").CompleteChatAsync(ImageMessage("fine", ServerTestFiles.Png(30, 20, 11)));
        Assert.Equal("recorded", ok.Value.Content[0].Text);
    }

    [Fact]
    public async Task Api_key_is_required_when_set_and_health_and_metrics_answer()
    {
        await using var proxy = await StartProxy(apiKey: "proxy-key");
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };
        using (var health = await http.GetAsync("/health")) Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using (var denied = await http.PostAsync("/v1/chat/completions", new StringContent(Chat(), Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
            Assert.Equal("invalid_api_key", (string)JsonNode.Parse(await denied.Content.ReadAsStringAsync())!["error"]!["code"]!);
        }
        var wrong = await Assert.ThrowsAsync<ClientResultException>(() => Client(proxy, "m", "proxy-kez").CompleteChatAsync(ImageMessage("q", ServerTestFiles.Png(8, 8, 1))));
        Assert.Equal(401, wrong.Status);
        var ok = await Client(proxy, "m", "proxy-key").CompleteChatAsync(ImageMessage("q", ServerTestFiles.Png(8, 8, 1)));
        Assert.Equal("recorded", ok.Value.Content[0].Text);

        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "proxy-key");
        var metrics = await http.GetStringAsync("/metrics");
        Assert.Matches("tvp_requests_total\\{route=\"/v1/chat/completions\",status=\"200\"\\} 1", metrics);
        Assert.Matches("tvp_request_errors_total\\{route=\"/v1/chat/completions\",code=\"invalid_api_key\"\\} 2", metrics);
        Assert.Contains("tvp_request_duration_seconds_bucket", metrics);
        Assert.Matches("tvp_images_prompted_total 1", metrics);
    }

    [Fact]
    public async Task Remote_image_urls_are_fetched_and_prompted_only_when_allowed()
    {
        var image = ServerTestFiles.Png(26, 18, seed: 12);
        File.WriteAllBytes(_tmp.File("remote.png"), image);
        var applied = CliRunner.Run("apply", "--prompt", _promptA, "--images", _tmp.File("remote.png"), "--out", _tmp.File("outR"), "--quiet");
        Assert.True(applied.ExitCode == 0, applied.Stderr);
        _upstream.RemoteImage = image;
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions(
            new HostOptions(new ListenAddress(IPAddress.Loopback, 0), null, new ServerLimits(), LogFormat.Quiet),
            _upstream.BaseAddress, new[] { new PromptSpec(null, _promptA) }, FetchRemoteImages: true));
        var message = new UserChatMessage(ChatMessageContentPart.CreateTextPart("q"), ChatMessageContentPart.CreateImagePart(new Uri(_upstream.BaseAddress, "/image.png")));
        await Client(proxy, "m").CompleteChatAsync(message);
        var url = Assert.Single(ImageUrls(LastChat()));
        AssertSamePixels(File.ReadAllBytes(Path.Combine(_tmp.File("outR"), "remote.png")), ServerTestFiles.DataUrlBytes(url));
    }

    [Fact]
    public async Task An_unreachable_upstream_is_a_502_with_openai_error_json()
    {
        var closed = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        int port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();                                               // nothing listens there now
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions(
            new HostOptions(new ListenAddress(IPAddress.Loopback, 0), null, new ServerLimits(), LogFormat.Quiet),
            new Uri($"http://127.0.0.1:{port}"), new[] { new PromptSpec(null, _promptA) }));
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };
        using var resp = await http.PostAsync("/v1/chat/completions", new StringContent(Chat(Data(ServerTestFiles.Png(8, 8, 13))), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadGateway, resp.StatusCode);
        var error = JsonNode.Parse(await resp.Content.ReadAsStringAsync())!["error"]!;
        Assert.StartsWith("upstream_", (string)error["code"]!);
        Assert.Equal("server_error", (string)error["type"]!);
    }

    [Fact]
    public void Listening_beyond_loopback_without_an_api_key_is_refused()
    {
        var options = new ProxyOptions(new HostOptions(ListenAddress.Parse("0.0.0.0:0"), null, new ServerLimits()),
            new Uri("http://127.0.0.1:1"), new[] { new PromptSpec(null, _promptA) });
        var e = Assert.Throws<ArgumentException>(() => ProxyServer.Build(options));
        Assert.Contains("--api-key", e.Message);
        Assert.True(ListenAddress.Parse("127.0.0.1:0").IsLoopback);
        Assert.True(ListenAddress.Parse("[::1]:8080").IsLoopback);
        Assert.Equal(new ListenAddress(IPAddress.Loopback, 9000), ListenAddress.Parse("9000"));
        Assert.Throws<ArgumentException>(() => ListenAddress.Parse("example.com:80"));
    }
}
