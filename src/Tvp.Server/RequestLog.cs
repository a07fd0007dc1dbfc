using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Tvp.Server;

/// <summary>What a handler learned about a request, for the structured log line and the metrics.</summary>
public sealed class RequestFacts
{
    /// <summary>The request's <c>model</c> field.</summary>
    public string? Model { get; set; }
    /// <summary>Images that received the prompt.</summary>
    public int ImagesPrompted { get; set; }
    /// <summary>Time spent waiting for the upstream (proxy) or the model (serve), in milliseconds.</summary>
    public double? BackendMs { get; set; }
    /// <summary>The error code when the request was refused.</summary>
    public string? ErrorCode { get; set; }

    /// <summary>The facts of the current request (created on first use).</summary>
    public static RequestFacts Of(HttpContext context)
    {
        if (context.Items[typeof(RequestFacts)] is RequestFacts f) return f;
        f = new RequestFacts();
        context.Items[typeof(RequestFacts)] = f;
        return f;
    }
}

/// <summary>
/// Outermost middleware: times every request, turns any <see cref="ApiException"/> (and anything unexpected)
/// into OpenAI-style error JSON so the server keeps serving, records the metrics and writes one structured log
/// line per request (method, path, model, images prompted, backend latency, status, duration).
/// </summary>
public sealed class RequestLog
{
    private readonly ILogger _log;
    private readonly ServerMetrics _metrics;

    /// <summary>Creates the middleware's state.</summary>
    public RequestLog(ILogger log, ServerMetrics metrics) { _log = log; _metrics = metrics; }

    /// <summary>Runs <paramref name="next"/> inside the timing, error translation and logging.</summary>
    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var watch = Stopwatch.StartNew();
        var facts = RequestFacts.Of(context);
        try
        {
            await next();
        }
        catch (ApiException e) when (!context.Response.HasStarted)
        {
            facts.ErrorCode = e.Code;
            await OpenAiError.WriteAsync(context, e);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            facts.ErrorCode = e.StatusCode == 413 ? "body_too_large" : "bad_request";
            var message = e.StatusCode == 413 ? "the request body is larger than the limit (--max-body-bytes)" : e.Message;
            await OpenAiError.WriteAsync(context, new ApiException(e.StatusCode, message, facts.ErrorCode));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            facts.ErrorCode = "client_closed";
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            facts.ErrorCode = "server_error";
            _log.LogError(e, "request {Method} {Path} failed", context.Request.Method, context.Request.Path.Value);
            await OpenAiError.WriteAsync(context, new ApiException(500, "internal error: " + e.Message, "server_error", errorType: ErrorTypes.Server));
        }
        finally
        {
            watch.Stop();
            int status = context.Response.StatusCode;
            string route = RouteLabel(context.Request.Path);
            _metrics.Observe(route, status, facts.ErrorCode, watch.Elapsed.TotalSeconds);
            if (route != "/metrics" && route != "/health")
                _log.LogInformation("request {Method} {Path} model={Model} images_prompted={Images} backend_ms={BackendMs} status={Status} error={Error} duration_ms={DurationMs}",
                    context.Request.Method, context.Request.Path.Value, facts.Model, facts.ImagesPrompted,
                    facts.BackendMs is double b ? Math.Round(b, 2) : null, status, facts.ErrorCode, Math.Round(watch.Elapsed.TotalMilliseconds, 2));
        }
    }

    /// <summary>A bounded label set: known routes by name, everything else as "other".</summary>
    private static string RouteLabel(PathString path) => path.Value switch
    {
        "/v1/chat/completions" or "/v1/models" or "/v1/score" or "/health" or "/metrics" => path.Value,
        _ => "other",
    };
}
