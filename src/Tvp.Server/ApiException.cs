namespace Tvp.Server;

/// <summary>A request the server refuses: HTTP status plus the OpenAI-style error fields.</summary>
public sealed class ApiException : Exception
{
    /// <summary>HTTP status code (4xx for the client's fault).</summary>
    public int StatusCode { get; }

    /// <summary>OpenAI error type, e.g. <c>invalid_request_error</c>.</summary>
    public string ErrorType { get; }

    /// <summary>The request field at fault, when one is.</summary>
    public string? Param { get; }

    /// <summary>A short machine-readable code, e.g. <c>image_too_large</c>.</summary>
    public string? Code { get; }

    /// <summary>Seconds the client should wait before retrying (sent as <c>Retry-After</c>), when set.</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>Creates the error.</summary>
    public ApiException(int statusCode, string message, string? code = null, string? param = null, string errorType = ErrorTypes.InvalidRequest)
        : base(message)
    {
        StatusCode = statusCode; Code = code; Param = param; ErrorType = errorType;
    }

    /// <summary>400 invalid request.</summary>
    public static ApiException BadRequest(string message, string code, string? param = null) => new(400, message, code, param);
}

/// <summary>The OpenAI error types this server answers with.</summary>
public static class ErrorTypes
{
    /// <summary>The request is malformed or refused.</summary>
    public const string InvalidRequest = "invalid_request_error";
    /// <summary>Missing or wrong API key.</summary>
    public const string Authentication = "authentication_error";
    /// <summary>Too many requests queued.</summary>
    public const string RateLimit = "rate_limit_error";
    /// <summary>Something failed on the server's side.</summary>
    public const string Server = "server_error";
}
