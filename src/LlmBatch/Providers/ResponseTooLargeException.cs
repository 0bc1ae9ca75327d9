namespace LlmBatch.Providers;

/// <summary>
/// A successful response whose body passed the cap on response bodies (<c>--max-response-bytes</c>); reading stopped
/// there, so the body was never held past the cap. Final for the item: the same request would be answered the same way,
/// and paid for again.
/// </summary>
internal sealed class ResponseTooLargeException : Exception
{
    public ResponseTooLargeException(int statusCode, long maxResponseBytes, long? announced)
        : base(announced is { } n
            ? $"HTTP {statusCode} announced a body of {n:N0} bytes, more than the limit of {maxResponseBytes:N0} bytes (--max-response-bytes); it was not read."
            : $"HTTP {statusCode} with a body longer than the limit of {maxResponseBytes:N0} bytes (counted decompressed; --max-response-bytes); reading stopped there.")
    {
        StatusCode = statusCode;
        MaxResponseBytes = maxResponseBytes;
    }

    /// <summary>The response's HTTP status.</summary>
    public int StatusCode { get; }

    /// <summary>The cap on response bodies, in bytes.</summary>
    public long MaxResponseBytes { get; }
}
