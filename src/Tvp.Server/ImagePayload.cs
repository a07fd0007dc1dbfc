namespace Tvp.Server;

/// <summary>
/// Reads the bytes behind an OpenAI <c>image_url.url</c>: a base64 <c>data:</c> URL, or (only when allowed) an
/// http(s) URL fetched with the same limits. Nothing else — in particular never a file path.
/// </summary>
public sealed class ImagePayload
{
    private readonly ServerLimits _limits;
    private readonly HttpClient? _remote;

    /// <summary>A reader with <paramref name="limits"/>; <paramref name="remote"/> fetches http(s) URLs, null refuses them.</summary>
    public ImagePayload(ServerLimits limits, HttpClient? remote)
    {
        _limits = limits; _remote = remote;
    }

    /// <summary>The image bytes of <paramref name="url"/>, checked against the byte and pixel limits; <paramref name="param"/> names the field in errors.</summary>
    /// <exception cref="ApiException">400 for anything refused.</exception>
    public async Task<byte[]> ReadAsync(string url, string param, CancellationToken ct)
    {
        byte[] bytes;
        if (url.StartsWith("data:", StringComparison.OrdinalIgnoreCase)) bytes = DecodeDataUrl(url, param);
        else if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
            bytes = await FetchAsync(uri, param, ct);
        else throw ApiException.BadRequest($"{param}: only data: URLs (base64) are accepted{(_remote is null ? "" : " or http(s) URLs")}", "invalid_image_url", param);
        ImageHeader.CheckPixels(bytes, _limits.MaxImagePixels, param);
        return bytes;
    }

    private byte[] DecodeDataUrl(string url, string param)
    {
        int comma = url.IndexOf(',');
        if (comma < 0) throw ApiException.BadRequest($"{param}: malformed data: URL (no comma)", "invalid_image_url", param);
        var header = url.AsSpan(5, comma - 5);
        if (!header.EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
            throw ApiException.BadRequest($"{param}: data: URL must be base64-encoded", "invalid_image_url", param);
        var payload = url.AsSpan(comma + 1);
        if ((long)payload.Length / 4 * 3 > _limits.MaxImageBytes + 3)
            throw TooLarge(param);
        var bytes = new byte[payload.Length / 4 * 3 + 3];
        if (!Convert.TryFromBase64Chars(payload, bytes, out int n))
            throw ApiException.BadRequest($"{param}: data: URL is not valid base64", "invalid_image_url", param);
        if (n > _limits.MaxImageBytes) throw TooLarge(param);
        return bytes[..n];
    }

    private async Task<byte[]> FetchAsync(Uri uri, string param, CancellationToken ct)
    {
        if (_remote is null)
            throw ApiException.BadRequest($"{param}: remote image URLs are not fetched (start the proxy with --fetch-remote-images)", "remote_images_disabled", param);
        try
        {
            using var response = await _remote.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, ct);
            if (!response.IsSuccessStatusCode)
                throw ApiException.BadRequest($"{param}: fetching the image answered HTTP {(int)response.StatusCode}", "image_fetch_failed", param);
            if (response.Content.Headers.ContentLength is long len && len > _limits.MaxImageBytes) throw TooLarge(param);
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            using var ms = new MemoryStream();
            var buffer = new byte[81920];
            int read;
            while ((read = await stream.ReadAsync(buffer, ct)) > 0)
            {
                if (ms.Length + read > _limits.MaxImageBytes) throw TooLarge(param);
                ms.Write(buffer, 0, read);
            }
            return ms.ToArray();
        }
        catch (HttpRequestException e)
        {
            throw ApiException.BadRequest($"{param}: cannot fetch the image ({e.Message})", "image_fetch_failed", param);
        }
    }

    private ApiException TooLarge(string param) =>
        ApiException.BadRequest($"{param}: image is larger than {_limits.MaxImageBytes} bytes (--max-image-bytes)", "image_too_large", param);

    /// <summary>A data: URL for PNG bytes.</summary>
    public static string PngDataUrl(byte[] png) => "data:image/png;base64," + Convert.ToBase64String(png);
}
