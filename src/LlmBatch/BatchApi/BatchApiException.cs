namespace LlmBatch.BatchApi;

/// <summary>
/// A Files or Batches API call failed for good: the provider refused it, or it kept failing past the retries. The
/// message says which call, the HTTP status and the provider's own message; it never holds the key. What the job had
/// done is in its state file: the same command continues from there.
/// </summary>
public sealed class BatchApiException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="operation">The call, for example <c>upload of chunk-0003.jsonl</c>.</param>
    /// <param name="statusCode">The HTTP status, or 0 when no response came.</param>
    /// <param name="code">The provider's error code, if any.</param>
    /// <param name="providerMessage">The provider's message, or the transport error.</param>
    /// <param name="innerException">The transport error, if that was the cause.</param>
    public BatchApiException(string operation, int statusCode, string? code, string? providerMessage, Exception? innerException = null)
        : base(Describe(operation, statusCode, providerMessage), innerException)
    {
        StatusCode = statusCode;
        Code = code;
    }

    /// <summary>The HTTP status, or 0 when no response came.</summary>
    public int StatusCode { get; }

    /// <summary>The provider's error code, if it sent one.</summary>
    public string? Code { get; }

    /// <summary>True when the call may have taken effect although no answer said so (no response, or a 5xx).</summary>
    public bool Ambiguous => StatusCode == 0 || StatusCode >= 500;

    private static string Describe(string operation, int statusCode, string? message)
    {
        var what = statusCode == 0 ? "got no response" : $"was answered HTTP {statusCode}";
        return string.IsNullOrWhiteSpace(message) ? $"The Batch API call ({operation}) {what}." : $"The Batch API call ({operation}) {what}: {message}";
    }
}
