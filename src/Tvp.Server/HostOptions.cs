namespace Tvp.Server;

/// <summary>How request logs are written.</summary>
public enum LogFormat
{
    /// <summary>One human-readable line per request (console).</summary>
    Text,
    /// <summary>One JSON object per line, with every field of the message as a property.</summary>
    Json,
    /// <summary>Only warnings and errors.</summary>
    Quiet,
}

/// <summary>What every tvp server shares: where it listens, its key, its limits and its logs.</summary>
/// <param name="Listen">Address and port (loopback by default).</param>
/// <param name="ApiKey">When set, every route but <c>/health</c> needs <c>Authorization: Bearer KEY</c>; required off loopback.</param>
/// <param name="Limits">Body, image and pixel limits.</param>
/// <param name="Logs">Log format.</param>
public sealed record HostOptions(ListenAddress Listen, string? ApiKey, ServerLimits Limits, LogFormat Logs = LogFormat.Text)
{
    /// <summary>Throws <see cref="ArgumentException"/> (naming the flag) for an unsafe or invalid setting.</summary>
    public void Validate()
    {
        Limits.Validate();
        Listen.RequireKeyUnlessLoopback(ApiKey);
    }
}
