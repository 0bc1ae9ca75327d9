using LlmBatch.Concurrency;

namespace LlmBatch.RateLimiting;

/// <summary>
/// What the engine asks of admission for its progress and its stops: one <see cref="ResourceController"/>, or an
/// <see cref="Endpoints.EndpointPool"/> of them (one per endpoint).
/// </summary>
internal interface IAdmissionControl
{
    /// <summary>Attempts waiting for admission now.</summary>
    int WaitingCount { get; }

    /// <summary>
    /// Since when (a <see cref="TimeProvider.GetTimestamp"/>) a shared budget's store could not be reached, so that
    /// nothing was admitted; null while it answers (always, for the in-process budget). The stall watchdog names it.
    /// </summary>
    long? BudgetUnreachableSince { get; }

    /// <summary>The request budget in force, per minute; null when unlimited or not yet known.</summary>
    double? RequestsPerMinuteLimit { get; }

    /// <summary>The token budget in force, per minute; null when unlimited or not yet known.</summary>
    double? TokensPerMinuteLimit { get; }

    /// <summary>Until when dispatch is paused, if it is.</summary>
    DateTimeOffset? PausedUntil { get; }

    /// <summary>Attempts allowed on the wire now.</summary>
    int ConcurrencyLimit { get; }

    /// <summary>True when the concurrency limit adapts.</summary>
    bool ConcurrencyAdapts { get; }

    /// <summary>The concurrency limit, attempts on the wire and goodput so far, a point per second.</summary>
    IReadOnlyList<ConcurrencyPoint> ConcurrencyTimeline();

    /// <summary>Refuses one run's waiters and its later acquisitions (see <see cref="ResourceController.StopAdmitting(BatchRunState)"/>).</summary>
    void StopAdmitting(BatchRunState run);
}
