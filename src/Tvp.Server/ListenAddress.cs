using System.Globalization;
using System.Net;

namespace Tvp.Server;

/// <summary>Where a server listens: an IP address and a port (0 = any free port). Loopback unless told otherwise.</summary>
/// <param name="Address">The IP address to bind.</param>
/// <param name="Port">The TCP port; 0 lets the system choose a free one.</param>
public sealed record ListenAddress(IPAddress Address, int Port)
{
    /// <summary>The default: 127.0.0.1:8080.</summary>
    public static ListenAddress Default { get; } = new(IPAddress.Loopback, 8080);

    /// <summary>True when only this machine can connect.</summary>
    public bool IsLoopback => IPAddress.IsLoopback(Address);

    /// <summary>Parses <c>HOST:PORT</c>, <c>[IPv6]:PORT</c> or <c>PORT</c> (loopback); HOST is an IP address or <c>localhost</c>.</summary>
    /// <exception cref="ArgumentException">Not an address (the message names <c>--listen</c>).</exception>
    public static ListenAddress Parse(string text)
    {
        string host = "127.0.0.1", port = text;
        int close = text.IndexOf("]:", StringComparison.Ordinal);
        if (text.StartsWith('[') && close > 0) { host = text[1..close]; port = text[(close + 2)..]; }
        else if (text.Count(c => c == ':') == 1) { host = text[..text.IndexOf(':')]; port = text[(text.IndexOf(':') + 1)..]; }
        else if (text.Contains(':')) throw new ArgumentException($"--listen {text}: write an IPv6 address as [ADDRESS]:PORT");
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p > 65535)
            throw new ArgumentException($"--listen {text}: '{port}' is not a port (0-65535)");
        IPAddress ip;
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) ip = IPAddress.Loopback;
        else if (!IPAddress.TryParse(host, out ip!)) throw new ArgumentException($"--listen {text}: '{host}' is not an IP address (or localhost)");
        return new ListenAddress(ip, p);
    }

    /// <summary>Refuses a non-loopback address without an API key.</summary>
    public void RequireKeyUnlessLoopback(string? apiKey)
    {
        if (!IsLoopback && string.IsNullOrEmpty(apiKey))
            throw new ArgumentException($"--listen {this}: listening beyond this machine needs --api-key (or TVP_API_KEY)");
    }

    /// <inheritdoc/>
    public override string ToString() => Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
        ? $"[{Address}]:{Port}" : $"{Address}:{Port}";
}
