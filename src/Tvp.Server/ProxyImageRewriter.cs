using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Tvp.Server;

/// <summary>
/// The proxy's only change to traffic: in <c>POST /v1/chat/completions</c> every <c>image_url</c> is replaced
/// by the prompted canvas as a PNG data: URL (<see cref="Prompts.PromptApplier"/>, the pixels <c>tvp apply</c>
/// writes). A request without images, or for a model without a prompt, is forwarded byte for byte.
/// </summary>
public sealed class ProxyImageRewriter
{
    /// <summary>The route whose images are rewritten.</summary>
    public const string ChatCompletionsPath = "/v1/chat/completions";

    private readonly PromptSet _prompts;
    private readonly ImagePayload _images;
    private readonly ServerLimits _limits;
    private readonly ServerMetrics _metrics;

    /// <summary>Creates the rewriter.</summary>
    public ProxyImageRewriter(PromptSet prompts, ImagePayload images, ServerLimits limits, ServerMetrics metrics)
    {
        _prompts = prompts; _images = images; _limits = limits; _metrics = metrics;
    }

    /// <summary>Middleware: rewrites a chat request's body, then times the forwarding (<paramref name="next"/>).</summary>
    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var facts = RequestFacts.Of(context);
        if (HttpMethods.IsPost(context.Request.Method) && context.Request.Path == ChatCompletionsPath)
        {
            var body = await RequestBody.ReadAsync(context, _limits);
            var rewritten = await RewriteAsync(body, facts, context.RequestAborted);
            var sent = rewritten ?? body;
            context.Request.Body = new MemoryStream(sent, writable: false);
            context.Request.ContentLength = sent.Length;
        }
        var watch = Stopwatch.StartNew();
        await next();
        facts.BackendMs = watch.Elapsed.TotalMilliseconds;
    }

    /// <summary>The rewritten body, or null when nothing changed (then the original bytes are forwarded).</summary>
    public async Task<byte[]?> RewriteAsync(byte[] body, RequestFacts facts, CancellationToken ct)
    {
        var request = ChatImages.ParseBody(body);
        facts.Model = ChatImages.Model(request);
        var images = ChatImages.Find(request, _limits.MaxImagesPerRequest);
        var prompt = _prompts.For(facts.Model);
        if (images.Count == 0 || prompt is null) return null;
        foreach (var part in images)
        {
            var bytes = await _images.ReadAsync(part.Url, part.Param, ct);
            byte[] png;
            try { png = prompt.ApplyToPng(bytes, part.Param); }
            catch (InvalidDataException e) { throw ApiException.BadRequest(e.Message, "invalid_image", part.Param); }
            part.Holder["url"] = ImagePayload.PngDataUrl(png);
        }
        facts.ImagesPrompted = images.Count;
        _metrics.ImagesPrompted(images.Count);
        return JsonSerializer.SerializeToUtf8Bytes(request);
    }
}
