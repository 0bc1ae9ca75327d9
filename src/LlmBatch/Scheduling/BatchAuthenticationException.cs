namespace LlmBatch;

/// <summary>
/// The provider refused the credentials (401 or 403) before any request succeeded, so the run was stopped instead of
/// failing every item one by one. Nothing was recorded for the refused items: a rerun with a valid key sends them.
/// </summary>
public sealed class BatchAuthenticationException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="statusCode">The status the provider answered (401 or 403).</param>
    /// <param name="providerMessage">The provider's error message, if it sent one.</param>
    public BatchAuthenticationException(int statusCode, string? providerMessage)
        : base($"The provider refused the request with HTTP {statusCode}{(string.IsNullOrWhiteSpace(providerMessage) ? "" : $" ({providerMessage})")}. Check the API key variable and the base URL; nothing was recorded for the refused items.")
    {
        StatusCode = statusCode;
    }

    /// <summary>The status the provider answered.</summary>
    public int StatusCode { get; }
}
