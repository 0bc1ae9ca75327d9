namespace LlmBatch.Providers;

/// <summary>
/// Follows redirects for the built-in HTTP client instead of the socket handler, because the socket handler strips only
/// <c>Authorization</c> when it follows one: Azure's <c>api-key</c> (or any other key header) went along to whatever host
/// the server named. Here a hop to another origin (scheme, host or port) carries only the headers that describe the
/// request (<c>Content-Type</c>, <c>Accept</c>, <c>User-Agent</c>); every other header, any credential among them, stays
/// behind. A hop from https to http is not followed, and at most <see cref="MaxRedirects"/> hops are.
/// </summary>
internal sealed class CredentialSafeRedirectHandler : DelegatingHandler
{
    /// <summary>The most redirects followed for one request (the socket handler's default is 50).</summary>
    public const int MaxRedirects = 5;

    private static readonly HashSet<string> s_crossOriginHeaders = new(StringComparer.OrdinalIgnoreCase) { "Accept", "User-Agent" };

    public CredentialSafeRedirectHandler(HttpMessageHandler inner)
        : base(inner)
    {
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var current = request;
        try
        {
            for (var hop = 0; hop < MaxRedirects && NextRequest(current, response) is { } next; hop++)
            {
                response.Dispose();
                Release(current, request);
                current = next;
                response = await base.SendAsync(current, cancellationToken).ConfigureAwait(false);
            }

            return response;
        }
        finally
        {
            Release(current, request);
        }
    }

    // A follow-up request shares the caller's content: it is detached first, so only the caller disposes it.
    private static void Release(HttpRequestMessage message, HttpRequestMessage original)
    {
        if (!ReferenceEquals(message, original))
        {
            message.Content = null;
            message.Dispose();
        }
    }

    /// <summary>The request a redirect asks for, or null when the response is not one to follow.</summary>
    internal static HttpRequestMessage? NextRequest(HttpRequestMessage request, HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        if (status is not (301 or 302 or 303 or 307 or 308) || response.Headers.Location is not { } location || request.RequestUri is not { } from)
        {
            return null;
        }

        var to = location.IsAbsoluteUri ? location : new Uri(from, location);
        if (to.Scheme != Uri.UriSchemeHttp && to.Scheme != Uri.UriSchemeHttps)
        {
            return null;
        }

        if (from.Scheme == Uri.UriSchemeHttps && to.Scheme == Uri.UriSchemeHttp)
        {
            // The key and the prompt would cross the network in clear text.
            return null;
        }

        // As browsers and the socket handler do: 303, and 301/302 after a POST, become a GET without a body.
        var keepMethod = status is 307 or 308 || (status is 301 or 302 && request.Method != HttpMethod.Post);
        var next = new HttpRequestMessage(keepMethod ? request.Method : HttpMethod.Get, to)
        {
            Version = request.Version,
            VersionPolicy = request.VersionPolicy,
            Content = keepMethod ? request.Content : null,
        };

        var sameOrigin = from.Scheme == to.Scheme && string.Equals(from.IdnHost, to.IdnHost, StringComparison.OrdinalIgnoreCase) && from.Port == to.Port;
        foreach (var header in request.Headers.NonValidated)
        {
            if (sameOrigin || s_crossOriginHeaders.Contains(header.Key))
            {
                next.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        return next;
    }
}
