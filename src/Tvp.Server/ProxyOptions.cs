namespace Tvp.Server;

/// <summary>Settings of <c>tvp proxy</c>.</summary>
/// <param name="Host">Listening address, API key, limits, logs.</param>
/// <param name="Upstream">The OpenAI-compatible server's root URL (e.g. <c>http://127.0.0.1:8000</c>); a trailing <c>/v1</c> is dropped.</param>
/// <param name="Prompts">Prompt files, for all models or per model.</param>
/// <param name="FetchRemoteImages">Fetch http(s) image URLs so they get the prompt too (off: such requests are refused).</param>
/// <param name="UpstreamApiKey">When set, the upstream gets <c>Authorization: Bearer UPSTREAM_KEY</c> instead of the client's header.</param>
public sealed record ProxyOptions(HostOptions Host, Uri Upstream, IReadOnlyList<PromptSpec> Prompts,
    bool FetchRemoteImages = false, string? UpstreamApiKey = null)
{
    /// <summary>The upstream root as YARP's destination (no trailing <c>/v1</c>, which the clients' paths carry).</summary>
    public string UpstreamRoot
    {
        get
        {
            var s = Upstream.GetLeftPart(UriPartial.Path).TrimEnd('/');
            return s.EndsWith("/v1", StringComparison.Ordinal) ? s[..^3] : s;
        }
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the flag for an invalid setting.</summary>
    public void Validate()
    {
        Host.Validate();
        if (Upstream.Scheme != Uri.UriSchemeHttp && Upstream.Scheme != Uri.UriSchemeHttps)
            throw new ArgumentException($"--upstream {Upstream}: must be an http:// or https:// URL");
        if (Prompts.Count == 0) throw new ArgumentException("--prompt: give at least one prompt file (FILE or MODEL=FILE)");
    }
}
