using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Tvp.Server;

/// <summary>
/// Checks <c>Authorization: Bearer KEY</c> against the configured key in constant time
/// (<see cref="CryptographicOperations.FixedTimeEquals"/> over SHA-256 digests, so the length does not leak either).
/// </summary>
public sealed class ApiKeyCheck
{
    private readonly byte[]? _digest;

    /// <summary>A check for <paramref name="apiKey"/>; null or empty means no key is required.</summary>
    public ApiKeyCheck(string? apiKey) => _digest = string.IsNullOrEmpty(apiKey) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(apiKey));

    /// <summary>True when no key is configured or the request presents it.</summary>
    public bool Allows(HttpRequest request)
    {
        if (_digest is null) return true;
        var header = request.Headers.Authorization.ToString();
        const string Bearer = "Bearer ";
        var presented = header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase) ? header[Bearer.Length..].Trim() : "";
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), _digest);
    }

    /// <summary>The 401 error for a request without the key.</summary>
    public static ApiException Refusal() => new(401, "missing or wrong API key (send Authorization: Bearer KEY)", "invalid_api_key", errorType: ErrorTypes.Authentication);
}
