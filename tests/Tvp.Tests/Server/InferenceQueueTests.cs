using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tvp.Server;

namespace Tvp.Tests.Server;

/// <summary>The serve queue with a gated stand-in backend: waiting generations are batched, a full queue answers 429 with Retry-After.</summary>
public sealed class InferenceQueueTests
{
    /// <summary>A backend whose calls wait on a gate, recording each batch's size.</summary>
    private sealed class GatedBackend : IChatBackend
    {
        public readonly ManualResetEventSlim Gate = new(false);
        public readonly SemaphoreSlim Entered = new(0);
        public readonly ConcurrentQueue<int> Batches = new();
        public string ModelId => "gated";
        public string Family => "test";
        public int MaxImagesPerTurn => 1;

        public IReadOnlyList<GeneratedAnswer> Generate(IReadOnlyList<ChatTurn> turns)
        {
            Batches.Enqueue(turns.Count);
            Entered.Release();
            if (!Gate.Wait(TimeSpan.FromSeconds(30))) throw new TimeoutException("gate never opened");
            return turns.Select(t => new GeneratedAnswer(new[] { "echo:", " " + t.Question }, 3, FinishReason.Stop)).ToArray();
        }

        public IReadOnlyList<CandidateScore> Score(ChatTurn turn, IReadOnlyList<string> candidates) =>
            candidates.Select((c, i) => new CandidateScore(c, -i, -2 * i)).ToArray();

        public void Dispose() => Gate.Dispose();
    }

    private static string Body(string q) => JsonSerializer.Serialize(new { model = "gated", messages = new[] { new { role = "user", content = q } } });

    [Fact]
    public async Task Waiting_requests_run_as_one_batch_and_a_full_queue_answers_429_with_retry_after()
    {
        var backend = new GatedBackend();
        var options = new ServeOptions(new HostOptions(new ListenAddress(IPAddress.Loopback, 0), null, new ServerLimits(), LogFormat.Quiet),
            Model: ".", QueueCapacity: 3, MaxBatch: 8);
        await using var server = await ServerHost.StartAsync(ServeServer.Build(options, backend));
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        Task<HttpResponseMessage> Post(string q) => http.PostAsync("/v1/chat/completions", new StringContent(Body(q), Encoding.UTF8, "application/json"));

        var first = Post("first");
        Assert.True(await backend.Entered.WaitAsync(TimeSpan.FromSeconds(30)), "the first request never reached the backend");
        var waiting = new[] { Post("w1"), Post("w2"), Post("w3") };
        // Wait (bounded) until all three sit in the queue (its depth is a metric); a fourth is then refused at once.
        bool full = false;
        for (int attempt = 0; attempt < 300 && !full; attempt++)
        {
            full = (await http.GetStringAsync("/metrics")).Contains("\ntvp_queue_depth 3", StringComparison.Ordinal);
            if (!full) await Task.Delay(50);
        }
        Assert.True(full, "the three waiting requests never filled the queue");
        using var refused = await Post("overflow");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
        Assert.Equal("queue_full", (string)JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!["code"]!);

        backend.Gate.Set();
        var answers = await Task.WhenAll(waiting.Prepend(first));
        var texts = await Task.WhenAll(answers.Select(async r => (string)JsonNode.Parse(await r.Content.ReadAsStringAsync())!["choices"]![0]!["message"]!["content"]!));
        Assert.Equal(new[] { "echo: first", "echo: w1", "echo: w2", "echo: w3" }, texts);
        Assert.Equal(new[] { 1, 3 }, backend.Batches.ToArray());          // the three waiting requests ran as one batch

        using var after = await Post("after");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }
}
