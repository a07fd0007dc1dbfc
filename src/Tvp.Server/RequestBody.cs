using Microsoft.AspNetCore.Http;

namespace Tvp.Server;

/// <summary>Reads a whole request body within the body limit (Kestrel also enforces it while streaming).</summary>
public static class RequestBody
{
    /// <summary>The body's bytes.</summary>
    /// <exception cref="ApiException">413 when the declared length is over <see cref="ServerLimits.MaxBodyBytes"/>.</exception>
    public static async Task<byte[]> ReadAsync(HttpContext context, ServerLimits limits)
    {
        if (context.Request.ContentLength > limits.MaxBodyBytes)
            throw new ApiException(413, "the request body is larger than the limit (--max-body-bytes)", "body_too_large");
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        return buffer.ToArray();
    }
}
