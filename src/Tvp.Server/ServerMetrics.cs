using Prometheus;

namespace Tvp.Server;

/// <summary>
/// The server's Prometheus metrics (prometheus-net), in a registry of its own so two servers in one process
/// (tests, the bench) do not share counters. Served at <c>GET /metrics</c> in Prometheus text format.
/// </summary>
public sealed class ServerMetrics
{
    private readonly Counter _requests;
    private readonly Counter _errors;
    private readonly Histogram _latency;
    private readonly Counter _images;
    private readonly Gauge _queue;

    /// <summary>The registry <c>/metrics</c> exports.</summary>
    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();

    /// <summary>Creates the metrics of one server.</summary>
    public ServerMetrics()
    {
        var f = Metrics.WithCustomRegistry(Registry);
        _requests = f.CreateCounter("tvp_requests_total", "HTTP requests answered, by route and status code.", "route", "status");
        _errors = f.CreateCounter("tvp_request_errors_total", "Requests answered with status 400 or above, by route and error code.", "route", "code");
        _latency = f.CreateHistogram("tvp_request_duration_seconds", "Time from request start to response end, by route.",
            new HistogramConfiguration { LabelNames = new[] { "route" }, Buckets = Histogram.ExponentialBuckets(0.001, 2, 16) });
        _images = f.CreateCounter("tvp_images_prompted_total", "Images that received the visual prompt.");
        _queue = f.CreateGauge("tvp_queue_depth", "Inference requests waiting in the queue (tvp serve).");
    }

    /// <summary>Records one answered request.</summary>
    public void Observe(string route, int status, string? errorCode, double seconds)
    {
        _requests.WithLabels(route, status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
        if (status >= 400) _errors.WithLabels(route, errorCode ?? "http_" + status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
        _latency.WithLabels(route).Observe(seconds);
    }

    /// <summary>Counts prompted images.</summary>
    public void ImagesPrompted(int n) { if (n > 0) _images.Inc(n); }

    /// <summary>Sets the queue depth.</summary>
    public void QueueDepth(int n) => _queue.Set(n);
}
