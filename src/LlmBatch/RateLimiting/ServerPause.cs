using LlmBatch.Providers;

namespace LlmBatch.RateLimiting;

/// <summary>
/// How long an answer asks every client on the key to wait: the run-wide pause, decided here from the answer alone
/// and kept by the <see cref="IRateBudget"/> (<see cref="IRateBudget.PauseAsync"/>), in process or shared.
/// </summary>
internal static class ServerPause
{
    /// <summary>A rate-limit answer that says neither how long to wait nor when its budget resets pauses the run this long.</summary>
    internal static readonly TimeSpan Fallback = TimeSpan.FromSeconds(1);

    /// <summary>The pause <paramref name="response"/> asks for, and why; null when it asks for none.</summary>
    /// <param name="response">The answer.</param>
    /// <param name="kind">Its <see cref="ThrottleClassifier"/> kind.</param>
    /// <param name="suggestedWait">A wait its message suggests ("try again in 20ms").</param>
    /// <param name="reservedTokens">The tokens the attempt reserved.</param>
    public static (TimeSpan Wait, string Reason)? For(BatchResponse response, ThrottleKind kind, TimeSpan? suggestedWait, long reservedTokens)
    {
        var headers = response.Headers ?? RateLimitHeaders.Empty;
        switch (kind)
        {
            case ThrottleKind.RateLimited:
                // A refusal while the headers still show budget is a short enforcement window: the emptied bucket
                // paces the retry, no run-wide pause. Otherwise wait as long as the server says, else until the
                // exhausted budget resets, else a second.
                return (headers.RetryAfter ?? suggestedWait ?? ResetOfExhausted(reservedTokens, headers) ?? (ClaimsBudget(reservedTokens, headers) ? null : Fallback)) is { } pause
                    ? (pause, "Rate limited (429)")
                    : null;
            case ThrottleKind.Overloaded:
                return headers.RetryAfter is { } wait ? (wait, $"Server overloaded ({response.StatusCode})") : null;
            default:
                return null;
        }
    }

    /// <summary>The reset of the budget the 429's headers show exhausted (the later, when both are); null when neither is.</summary>
    private static TimeSpan? ResetOfExhausted(long reservedTokens, RateLimitHeaders headers)
    {
        TimeSpan? exhausted = null;
        if (headers.RemainingRequests is <= 0 && headers.ResetRequests is { } rr)
        {
            exhausted = rr;
        }

        if (headers.RemainingTokens is { } rt && rt < reservedTokens && headers.ResetTokens is { } tr)
        {
            exhausted = exhausted is { } e && e > tr ? e : tr;
        }

        return exhausted;
    }

    /// <summary>True when the 429's remaining headers show enough of every budget they give for this request.</summary>
    private static bool ClaimsBudget(long reservedTokens, RateLimitHeaders headers) =>
        (headers.RemainingRequests is not null || headers.RemainingTokens is not null)
        && headers.RemainingRequests is null or > 0
        && (headers.RemainingTokens is not { } rt || rt >= reservedTokens);
}
