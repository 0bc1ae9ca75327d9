namespace LlmBatch.Providers;

/// <summary>
/// Takes credentials out of a URL before it is printed or logged: the user-info part (<c>user:password@</c>) and the
/// value of every query parameter but <c>api-version</c> (a key rides in the query under many names: <c>api-key</c>,
/// <c>key</c>, <c>token</c>, <c>sig</c>…), and the fragment. Works on text that is not a valid URL too, since that is
/// exactly what an error message quotes.
/// </summary>
internal static class UrlRedaction
{
    private const string Hidden = "***";

    // Query parameters that carry no secret and help to read a URL back; every other value is hidden.
    private static readonly HashSet<string> s_shown = new(StringComparer.OrdinalIgnoreCase) { "api-version" };

    public static string Redact(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var s = url;

        // The authority runs from after "scheme://" (or the start) to the first '/', '?' or '#'; credentials end at its last '@'.
        var scheme = s.IndexOf("://", StringComparison.Ordinal);
        var start = scheme >= 0 ? scheme + 3 : 0;
        var end = s.IndexOfAny(['/', '?', '#'], start);
        end = end < 0 ? s.Length : end;
        var at = end > start ? s.LastIndexOf('@', end - 1, end - start) : -1;
        if (at >= start)
        {
            s = string.Concat(s.AsSpan(0, start), Hidden, s.AsSpan(at));
        }

        var hash = s.IndexOf('#', StringComparison.Ordinal);
        if (hash >= 0)
        {
            s = s[..hash] + (hash + 1 < s.Length ? "#" + Hidden : "#");
        }

        var question = s.IndexOf('?', StringComparison.Ordinal);
        if (question < 0)
        {
            return s;
        }

        var parameters = s[(question + 1)..].Split('&');
        for (var i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i];
            var equals = p.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                // A bare word in a query can be a token itself.
                parameters[i] = p.Length == 0 ? p : Hidden;
            }
            else if (!s_shown.Contains(Uri.UnescapeDataString(p[..equals])))
            {
                parameters[i] = p[..(equals + 1)] + Hidden;
            }
        }

        return s[..(question + 1)] + string.Join('&', parameters);
    }

    /// <summary>Redacts a parsed URL; see <see cref="Redact(string)"/>.</summary>
    public static string Redact(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return Redact(url.IsAbsoluteUri ? url.AbsoluteUri : url.OriginalString);
    }
}
