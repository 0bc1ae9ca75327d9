namespace LlmBatch.Providers;

/// <summary>
/// Where requests go and with which key, as resolved by <see cref="ProviderEnvironment.Resolve(string?, string?)"/>.
/// <see cref="ToString"/> never shows the key, nor credentials in the URL's query.
/// </summary>
internal sealed record ProviderEndpoint
{
    /// <summary>The API root to send to, or null when none could be resolved (see <see cref="Problem"/>).</summary>
    public Uri? BaseUrl { get; init; }

    /// <summary>Where <see cref="BaseUrl"/> came from: <c>--base-url</c>, <c>OPENAI_BASE_URL</c> or the OpenAI default.</summary>
    public string? BaseUrlSource { get; init; }

    /// <summary>The API key, or null for servers that need none. Secret: never print or log it.</summary>
    public string? ApiKey { get; init; }

    /// <summary>The name of the environment variable the key came from, or null when there is no key. Safe to print.</summary>
    public string? KeySource { get; init; }

    /// <summary>Why no usable endpoint could be resolved, phrased for the user; null when <see cref="IsResolved"/>.</summary>
    public string? Problem { get; init; }

    /// <summary>True when there is a base URL to send to and nothing is wrong.</summary>
    public bool IsResolved => BaseUrl is not null && Problem is null;

    /// <summary>Describes the endpoint without the key.</summary>
    /// <returns>For example <c>https://api.openai.com/v1 (from the OpenAI default), key from OPENAI_API_KEY</c>.</returns>
    public override string ToString()
    {
        if (!IsResolved)
        {
            return "unresolved: " + Problem;
        }

        var key = KeySource is null ? "no key" : "key from " + KeySource;
        // The URL may carry a secret of its own (?api-key=…): printed without it.
        return $"{UrlRedaction.Redact(BaseUrl!)} (from {BaseUrlSource}), {key}";
    }
}
