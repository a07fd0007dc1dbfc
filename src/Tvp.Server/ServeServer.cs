using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Tvp.Data;
using Tvp.Prompts;
using static TorchSharp.torch;

namespace Tvp.Server;

/// <summary>
/// <c>tvp serve</c>: one of tvp's multimodal models behind the OpenAI API — <c>GET /v1/models</c>,
/// <c>POST /v1/chat/completions</c> (greedy, <c>max_tokens</c>, <c>stream</c> as SSE) and the extension
/// <c>POST /v1/score</c> (log-probabilities of candidate answers). Requests go through an
/// <see cref="InferenceQueue"/>; the model is reached only through <see cref="IChatBackend"/>.
/// </summary>
public static class ServeServer
{
    /// <summary>The route of the scoring extension.</summary>
    public const string ScorePath = "/v1/score";

    /// <summary>Builds the server (loads the model and prompt; not started).</summary>
    /// <exception cref="ArgumentException">An invalid option or a checkpoint tvp cannot serve (names the flag).</exception>
    public static WebApplication Build(ServeOptions options)
    {
        options.Validate();
        return Build(options, OpenBackend(options));
    }

    /// <summary>Builds the server around an already open <paramref name="backend"/> (owned by the server from here on; <see cref="ServeOptions.Model"/> is not read).</summary>
    public static WebApplication Build(ServeOptions options, IChatBackend backend)
    {
        PromptApplier? prompt = null;
        try
        {
            options.Host.Validate();
            prompt = options.Prompt is null ? null : PromptApplier.Load(options.Prompt);
            var builder = ServerHost.CreateBuilder(options.Host);
            var app = builder.Build();
            var metrics = app.Services.GetRequiredService<ServerMetrics>();
            var queue = new InferenceQueue(backend, options.QueueCapacity, options.MaxBatch, metrics);
            app.Lifetime.ApplicationStopped.Register(() => { queue.Dispose(); backend.Dispose(); prompt?.Dispose(); });
            var handler = new Handlers(options, backend, prompt, queue, metrics);
            ServerHost.UseCommon(app, options.Host, "Tvp.Server.Serve", () => new
            {
                status = "ok",
                model = backend.ModelId,
                prompt = options.Prompt is not null,
            });
            app.MapGet("/v1/models", handler.Models);
            app.MapGet("/v1/models/{id}", handler.Model);
            app.MapPost("/v1/chat/completions", handler.ChatAsync);
            app.MapPost(ScorePath, handler.ScoreAsync);
            return app;
        }
        catch
        {
            backend.Dispose();
            prompt?.Dispose();
            throw;
        }
    }

    /// <summary>Builds and starts the server; the result knows the address it listens on.</summary>
    public static Task<RunningServer> StartAsync(ServeOptions options, CancellationToken ct = default) =>
        ServerHost.StartAsync(Build(options), ct);

    private static IChatBackend OpenBackend(ServeOptions options) => MultimodalChatBackend.Load(options.Model, options.ModelId);

    private sealed class Handlers(ServeOptions options, IChatBackend backend, PromptApplier? prompt, InferenceQueue queue, ServerMetrics metrics)
    {
        private readonly ImagePayload _images = new(options.Host.Limits, remote: null);

        public IResult Models() => Results.Json(new { @object = "list", data = new[] { ModelCard() } });

        public IResult Model(string id) => id == backend.ModelId
            ? Results.Json(ModelCard())
            : throw new ApiException(404, $"the model '{id}' does not exist here", "model_not_found", "model");

        private object ModelCard() => new { id = backend.ModelId, @object = "model", created = 0, owned_by = "tvp-" + backend.Family };

        public async Task ChatAsync(HttpContext context)
        {
            var facts = RequestFacts.Of(context);
            var body = await RequestBody.ReadAsync(context, options.Host.Limits);
            var request = ChatCompletionRequest.Parse(body, backend.ModelId, options.Host.Limits, options.MaxTokens);
            facts.Model = request.Model;
            using var image = await ImageOf(request, facts, context.RequestAborted);
            var turn = new ChatTurn(image, request.Question, request.MaxTokens, IsCanvas: prompt is not null);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var answer = await queue.GenerateAsync(turn);
            facts.BackendMs = watch.Elapsed.TotalMilliseconds;
            string id = "chatcmpl-" + Guid.NewGuid().ToString("N")[..24];
            long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var usage = new { prompt_tokens = answer.PromptTokens, completion_tokens = answer.Pieces.Count, total_tokens = answer.PromptTokens + answer.Pieces.Count };
            string finish = answer.Finish == FinishReason.Stop ? "stop" : "length";
            if (!request.Stream)
            {
                await context.Response.WriteAsJsonAsync(new
                {
                    id, @object = "chat.completion", created, model = backend.ModelId,
                    choices = new[] { new { index = 0, message = new { role = "assistant", content = answer.Text }, logprobs = (object?)null, finish_reason = finish } },
                    usage,
                });
                return;
            }
            context.Response.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            async Task Send(object chunk)
            {
                await context.Response.WriteAsync("data: " + JsonSerializer.Serialize(chunk) + "\n\n", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }
            object Chunk(object delta, string? reason) => new
            {
                id, @object = "chat.completion.chunk", created, model = backend.ModelId,
                choices = new[] { new { index = 0, delta, logprobs = (object?)null, finish_reason = reason } },
            };
            await Send(Chunk(new { role = "assistant", content = "" }, null));
            foreach (var piece in answer.Pieces) await Send(Chunk(new { content = piece }, null));
            await Send(Chunk(new { }, finish));
            if (request.IncludeUsage)
                await Send(new { id, @object = "chat.completion.chunk", created, model = backend.ModelId, choices = Array.Empty<object>(), usage });
            await context.Response.WriteAsync("data: [DONE]\n\n", context.RequestAborted);
        }

        public async Task ScoreAsync(HttpContext context)
        {
            var facts = RequestFacts.Of(context);
            var body = await RequestBody.ReadAsync(context, options.Host.Limits);
            var request = ChatCompletionRequest.Parse(body, backend.ModelId, options.Host.Limits, options.MaxTokens);
            facts.Model = request.Model;
            var candidates = Candidates(request.Body);
            using var image = await ImageOf(request, facts, context.RequestAborted);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var scores = await queue.ScoreAsync(new ChatTurn(image, request.Question, 1, IsCanvas: prompt is not null), candidates);
            facts.BackendMs = watch.Elapsed.TotalMilliseconds;
            int best = 0;
            for (int j = 1; j < scores.Count; j++) if (scores[j].MeanLogProb > scores[best].MeanLogProb) best = j;
            await context.Response.WriteAsJsonAsync(new
            {
                @object = "tvp.score", model = backend.ModelId, best,
                candidates = scores.Select(s => new { text = s.Text, mean_logprob = s.MeanLogProb, sum_logprob = s.SumLogProb }),
            });
        }

        private IReadOnlyList<string> Candidates(JsonObject body)
        {
            if (body["candidates"] is not JsonArray arr || arr.Count == 0)
                throw ApiException.BadRequest("'candidates' must be a non-empty array of strings", "invalid_candidates", "candidates");
            if (arr.Count > options.MaxCandidates)
                throw ApiException.BadRequest($"more than {options.MaxCandidates} candidates (--max-candidates)", "too_many_candidates", "candidates");
            return arr.Select((c, i) => c is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s
                : throw ApiException.BadRequest($"candidates[{i}] must be a non-empty string", "invalid_candidates", $"candidates[{i}]")).ToArray();
        }

        /// <summary>The turn's image [3,H,W] in [0,1]: with the prompt (the pixels tvp apply writes, before PNG rounding) or as sent.</summary>
        private async Task<Tensor?> ImageOf(ChatCompletionRequest request, RequestFacts facts, CancellationToken ct)
        {
            if (request.Images.Count > backend.MaxImagesPerTurn)
                throw ApiException.BadRequest($"this model takes at most {backend.MaxImagesPerTurn} image(s) per message", "too_many_images", request.Images[^1].Param);
            if (request.Images.Count == 0) return null;
            var part = request.Images[0];
            var bytes = await _images.ReadAsync(part.Url, part.Param, ct);
            try
            {
                if (prompt is null)
                {
                    var (rgb, w, h) = ImageDecoder.Decode(bytes, part.Param);
                    return ImageDecoder.ToTensor(rgb, w, h);
                }
                var prompted = prompt.ApplyEncoded(bytes, part.Param);
                facts.ImagesPrompted = 1;
                metrics.ImagesPrompted(1);
                return prompted;
            }
            catch (InvalidDataException e) { throw ApiException.BadRequest(e.Message, "invalid_image", part.Param); }
        }
    }
}
