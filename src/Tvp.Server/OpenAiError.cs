using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Tvp.Server;

/// <summary>Writes errors as OpenAI does: <c>{"error": {"message", "type", "param", "code"}}</c> with the HTTP status.</summary>
public static class OpenAiError
{
    /// <summary>Writes <paramref name="e"/> as the response (status and JSON body).</summary>
    public static Task WriteAsync(HttpContext context, ApiException e)
    {
        context.Response.StatusCode = e.StatusCode;
        context.Response.ContentType = "application/json";
        if (e.RetryAfterSeconds is int retry) context.Response.Headers.RetryAfter = retry.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            error = new { message = e.Message, type = e.ErrorType, param = e.Param, code = e.Code },
        });
        return context.Response.Body.WriteAsync(body).AsTask();
    }
}
