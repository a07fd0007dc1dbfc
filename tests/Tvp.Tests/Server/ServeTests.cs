using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Models;
using Tvp.Server;
using Tvp.Tests.Cli;

namespace Tvp.Tests.Server;

/// <summary>
/// <c>tvp serve</c> on the shared tiny LLaVA (with the test tokenizer), talked to by the official OpenAI client
/// over loopback, directly and through <c>tvp proxy</c>; answers and scores are checked against the
/// <c>tvp generate</c> / <c>tvp score</c> commands run on the same inputs.
/// </summary>
public sealed class ServeTests : IDisposable
{
    private const string Question = "what is in the image?";
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static HostOptions Loopback(string? key = null) =>
        new(new ListenAddress(IPAddress.Loopback, 0), key, new ServerLimits(), LogFormat.Quiet);

    private Task<RunningServer> Serve(string model, string? prompt = null) =>
        ServeServer.StartAsync(new ServeOptions(Loopback(), model, prompt, ModelId: "tiny-llava", MaxTokens: 12));

    private static ChatClient Chat(RunningServer s) =>
        new("tiny-llava", new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(s.BaseAddress, "/v1") });

    private static UserChatMessage Message(byte[] png) =>
        new(ChatMessageContentPart.CreateTextPart(Question), ChatMessageContentPart.CreateImagePart(BinaryData.FromBytes(png), "image/png"));

    [SharedFact]
    public async Task Chat_answers_equal_tvp_generate_streamed_or_not_and_models_are_listed()
    {
        var model = ServerTestFiles.TinyLlava(_tmp.Path);
        var png = ServerTestFiles.Png(45, 37, seed: 21);
        File.WriteAllBytes(_tmp.File("img.png"), png);
        var cli = CliRunner.Run("generate", "--model", model, "--image", _tmp.File("img.png"), "--question", Question, "--max-new-tokens", "6", "--json");
        Assert.True(cli.ExitCode == 0, cli.Stderr);
        var expected = (string)JsonNode.Parse(cli.Stdout)!["text"]!;
        Assert.False(string.IsNullOrWhiteSpace(expected));

        await using var server = await Serve(model);
        var models = new OpenAIModelClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "/v1") });
        Assert.Equal("tiny-llava", Assert.Single((await models.GetModelsAsync()).Value).Id);

        var options = new ChatCompletionOptions { MaxOutputTokenCount = 6 };
        var reply = (await Chat(server).CompleteChatAsync(new ChatMessage[] { Message(png) }, options)).Value;
        Assert.Equal(expected, reply.Content[0].Text);
        Assert.True(reply.Usage.OutputTokenCount is > 0 and <= 6);
        Assert.True(reply.Usage.InputTokenCount > 5);
        Assert.Equal(reply.Usage.OutputTokenCount == 6 ? ChatFinishReason.Length : ChatFinishReason.Stop, reply.FinishReason);

        var streamed = new StringBuilder();
        int updates = 0;
        ChatFinishReason? finish = null;
        await foreach (var u in Chat(server).CompleteChatStreamingAsync(new ChatMessage[] { Message(png) }, options))
        {
            foreach (var part in u.ContentUpdate) { streamed.Append(part.Text); if (part.Text.Length > 0) updates++; }
            finish ??= u.FinishReason;
        }
        Assert.Equal(expected, streamed.ToString());
        Assert.Equal(reply.Usage.OutputTokenCount, updates);            // one chunk per generated token (after the role chunk)
        Assert.Equal(reply.FinishReason, finish);
    }

    [SharedFact]
    public async Task Score_extension_equals_tvp_score()
    {
        var model = ServerTestFiles.TinyLlava(_tmp.Path);
        var png = ServerTestFiles.Png(32, 32, seed: 22);
        File.WriteAllBytes(_tmp.File("img.png"), png);
        var cli = CliRunner.Run("score", "--model", model, "--image", _tmp.File("img.png"), "--question", Question, "--candidates", "a cat,a red car,dog", "--json");
        Assert.True(cli.ExitCode == 0, cli.Stderr);
        var expected = JsonNode.Parse(cli.Stdout)!["candidates"]!.AsArray();

        await using var server = await Serve(model);
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var body = JsonSerializer.Serialize(new
        {
            model = "tiny-llava",
            messages = new[] { new { role = "user", content = new object[] { new { type = "text", text = Question }, new { type = "image_url", image_url = new { url = "data:image/png;base64," + Convert.ToBase64String(png) } } } } },
            candidates = new[] { "a cat", "a red car", "dog" },
        });
        using var resp = await http.PostAsync(ServeServer.ScorePath, new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.IsSuccessStatusCode, text);
        var got = JsonNode.Parse(text)!;
        var cands = got["candidates"]!.AsArray();
        Assert.Equal(3, cands.Count);
        for (int j = 0; j < 3; j++)
        {
            Assert.Equal((string)expected[j]!["text"]!, (string)cands[j]!["text"]!);
            Assert.Equal((double)expected[j]!["mean_logprob"]!, (double)cands[j]!["mean_logprob"]!, 1e-5);
            Assert.Equal((double)expected[j]!["sum_logprob"]!, (double)cands[j]!["sum_logprob"]!, 1e-5);
        }
        int best = Enumerable.Range(0, 3).MaxBy(j => (double)expected[j]!["mean_logprob"]!);
        Assert.Equal(best, (int)got["best"]!);
    }

    [SharedFact]
    public async Task Through_the_proxy_the_model_answers_as_it_does_to_the_tvp_apply_png()
    {
        var model = ServerTestFiles.TinyLlava(_tmp.Path);
        var prompt = ServerTestFiles.WritePrompt(_tmp.Path, "p.safetensors", canvas: 40, image: 28, seed: 23);
        var png = ServerTestFiles.Png(50, 30, seed: 24);
        File.WriteAllBytes(_tmp.File("img.png"), png);
        var applied = CliRunner.Run("apply", "--prompt", prompt, "--images", _tmp.File("img.png"), "--out", _tmp.File("out"), "--quiet");
        Assert.True(applied.ExitCode == 0, applied.Stderr);

        await using var server = await Serve(model);
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions(Loopback(), server.BaseAddress, new[] { new PromptSpec(null, prompt) }));
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 8 };
        var direct = (await Chat(server).CompleteChatAsync(new ChatMessage[] { Message(File.ReadAllBytes(_tmp.File("out/img.png"))) }, options)).Value;
        var proxied = (await Chat(proxy).CompleteChatAsync(new ChatMessage[] { Message(png) }, options)).Value;
        Assert.Equal(direct.Content[0].Text, proxied.Content[0].Text);
        var plain = (await Chat(server).CompleteChatAsync(new ChatMessage[] { Message(png) }, new ChatCompletionOptions { MaxOutputTokenCount = 8 })).Value;
        Assert.False(string.IsNullOrEmpty(plain.Content[0].Text));

        var streamed = new StringBuilder();
        await foreach (var u in Chat(proxy).CompleteChatStreamingAsync(new ChatMessage[] { Message(png) }, options))
            foreach (var part in u.ContentUpdate) streamed.Append(part.Text);
        Assert.Equal(direct.Content[0].Text, streamed.ToString());
    }

    public static TheoryData<string, int, string> BadServeRequests()
    {
        var img = "data:image/png;base64," + Convert.ToBase64String(ServerTestFiles.Png(16, 16, 25));
        string Req(string model, object[] content, object? extra = null)
        {
            var o = JsonSerializer.SerializeToNode(new { model, messages = new[] { new { role = "user", content } } })!.AsObject();
            if (extra is not null) foreach (var (k, v) in JsonSerializer.SerializeToNode(extra)!.AsObject()) o[k] = v?.DeepClone();
            return o.ToJsonString();
        }
        object Text() => new { type = "text", text = "q" };
        object Image(string url) => new { type = "image_url", image_url = new { url } };
        return new()
        {
            { Req("no-such-model", new[] { Text(), Image(img) }), 404, "model_not_found" },
            { Req("tiny-llava", new[] { Text() }), 400, "invalid_input" },
            { Req("tiny-llava", new[] { Text(), Image(img), Image(img) }), 400, "too_many_images" },
            { Req("tiny-llava", new[] { Text(), Image(img) }, new { max_tokens = 1000 }), 400, "invalid_max_tokens" },
            { Req("tiny-llava", new[] { Text(), Image(img) }, new { n = 3 }), 400, "invalid_n" },
            { Req("tiny-llava", new[] { Text(), Image("data:image/png;base64," + Convert.ToBase64String(new byte[] { 1, 2, 3, 4 })) }), 400, "invalid_image" },
            { "{\"model\": \"tiny-llava\", \"messages\": [{]", 400, "invalid_json" },
            { Req("tiny-llava", new[] { Text(), Image(img) }, new { stream = "yes" }), 400, "invalid_stream" },
        };
    }

    [SharedFact]
    public async Task Bad_requests_get_their_4xx_and_the_server_keeps_serving()
    {
        var model = ServerTestFiles.TinyLlava(_tmp.Path);
        await using var server = await Serve(model);
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        foreach (var row in BadServeRequests())
        {
            var (body, status, code) = ((string)row[0], (int)row[1], (string)row[2]);
            using var resp = await http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
            var text = await resp.Content.ReadAsStringAsync();
            Assert.True(status == (int)resp.StatusCode, $"{code}: {(int)resp.StatusCode} {text}");
            Assert.Equal(code, (string)JsonNode.Parse(text)!["error"]!["code"]!);
            var ok = await Chat(server).CompleteChatAsync(new ChatMessage[] { Message(ServerTestFiles.Png(20, 20, 26)) }, new ChatCompletionOptions { MaxOutputTokenCount = 2 });
            Assert.NotNull(ok.Value.Content);
        }
        using var score = await http.PostAsync(ServeServer.ScorePath, new StringContent(
            """{"model":"tiny-llava","messages":[{"role":"user","content":"q"}],"candidates":[]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, score.StatusCode);
        var metrics = await http.GetStringAsync("/metrics");
        Assert.Matches("tvp_request_errors_total\\{route=\"/v1/chat/completions\",code=\"model_not_found\"\\} 1", metrics);
    }

    [Fact]
    public void Serving_a_folder_that_is_not_a_chat_model_is_one_clear_error()
    {
        File.WriteAllText(_tmp.File("config.json"), """{"model_type":"clip"}""");
        var e = Assert.Throws<ArgumentException>(() => ServeServer.Build(new ServeOptions(Loopback(), _tmp.Path)));
        Assert.Contains("--model", e.Message);
        var cli = CliRunner.Run("serve", "--model", _tmp.Path, "--listen", "0.0.0.0:0");
        Assert.Equal(2, cli.ExitCode);
        Assert.Contains("--api-key", cli.Stderr);
    }
}
