using System.Net.Sockets;
using System.Text.Json;
using LlmBatch.Input;
using LlmBatch.Providers;
using LlmBatch.RateLimiting;

namespace LlmBatch.Resilience;

/// <summary>
/// Decides whether an attempt's outcome is final. Throttled (sent again without counting the attempt): 429 and the
/// overload answers 503 and 529 (see <see cref="ThrottleClassifier"/>), except a 429 for an exhausted quota. Retried:
/// 408, 409, other 5xx, transport failures, attempt timeouts and a 2xx whose body is not a valid response. Not
/// retried: other 4xx. <c>x-should-retry</c> overrides all of them.
/// </summary>
internal static class RetryClassifier
{
    public static RetryDecision Classify(BatchResponse response, BatchEndpointKind endpoint)
    {
        var status = response.StatusCode;
        if (status is >= 200 and < 300)
        {
            // A 200 whose body is cut or is not the expected object is a server fault worth another attempt.
            return response.Facts.HasShapeOf(endpoint) ? RetryDecision.Success : RetryDecision.Retry;
        }

        if (response.Headers.ShouldRetry is false)
        {
            return RetryDecision.Permanent;
        }

        switch (ThrottleClassifier.Classify(response, out _))
        {
            case ThrottleKind.RateLimited or ThrottleKind.Overloaded:
                return RetryDecision.Throttled;
            case ThrottleKind.QuotaExhausted or ThrottleKind.RequestTooLarge:
                return RetryDecision.Permanent;
        }

        return response.Headers.ShouldRetry is true || IsRetryableStatus(status) ? RetryDecision.Retry : RetryDecision.Permanent;
    }

    public static bool IsRetryableStatus(int status) =>
        status is 408 or 409 or 429 || status >= 500;

    /// <summary>Classifies an exception thrown by an attempt that was not cancelled by the caller.</summary>
    public static RetryDecision Classify(Exception exception) => exception switch
    {
        AttemptTimeoutException => RetryDecision.Retry,
        HttpRequestException => RetryDecision.Retry,
        IOException => RetryDecision.Retry,
        SocketException => RetryDecision.Retry,
        JsonException => RetryDecision.Retry,
        _ => RetryDecision.Permanent,
    };

    /// <summary>True when the failure says the endpoint itself cannot be reached (refused, unknown host), not that one request failed.</summary>
    public static bool IsUnreachable(Exception exception) => exception switch
    {
        HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError } => true,
        HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostNotFound or SocketError.HostUnreachable or SocketError.NetworkUnreachable } } => true,
        _ => false,
    };

    /// <summary>The <c>error.code</c> written for an exception that ended an item.</summary>
    public static string ErrorCode(Exception exception) => exception switch
    {
        ItemDeadlineExceededException => "deadline_exceeded",
        AttemptTimeoutException => "timeout",
        ResponseTooLargeException => "response_too_large",
        HttpRequestException or IOException or SocketException => "connection_error",
        JsonException => "invalid_response",
        _ => "internal_error",
    };
}
