using LlmBatch.Concurrency;
using LlmBatch.Cost;

namespace LlmBatch;

/// <summary>A consistent-enough snapshot of a running batch, cheap to take, for progress displays and metrics.</summary>
public sealed record BatchProgress
{
    /// <summary>Time since the run started.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Items that reached a final outcome in this run.</summary>
    public long Completed { get; init; }

    /// <summary>Items that succeeded in this run.</summary>
    public long Succeeded { get; init; }

    /// <summary>Items that failed permanently in this run.</summary>
    public long Failed { get; init; }

    /// <summary>Requests on the wire now.</summary>
    public int InFlight { get; init; }

    /// <summary>Items waiting for the rate limiter now.</summary>
    public int WaitingOnLimiter { get; init; }

    /// <summary>Attempts made in all (first attempts and retries).</summary>
    public long Attempts { get; init; }

    /// <summary>Retries made (attempts beyond each item's first).</summary>
    public long Retries { get; init; }

    /// <summary>Responses with status 429.</summary>
    public long RateLimited { get; init; }

    /// <summary>Prompt tokens of finished items (reported usage where known).</summary>
    public long PromptTokens { get; init; }

    /// <summary>Completion tokens of finished items.</summary>
    public long CompletionTokens { get; init; }

    /// <summary>The request budget in force, per minute; null when unlimited or not yet learned.</summary>
    public double? RequestsPerMinuteLimit { get; init; }

    /// <summary>The token budget in force, per minute; null when unlimited or not yet learned.</summary>
    public double? TokensPerMinuteLimit { get; init; }

    /// <summary>Until when dispatch is paused after a 429, if it is.</summary>
    public DateTimeOffset? PausedUntil { get; init; }

    /// <summary>How long the memory guard has held intake back so far (zero without <see cref="BatchOptions.MaxMemoryBytes"/>).</summary>
    public TimeSpan IntakePaused { get; init; }

    /// <summary>The most memory the memory guard has seen, in bytes; null without <see cref="BatchOptions.MaxMemoryBytes"/>.</summary>
    public long? PeakMemoryBytes { get; init; }

    /// <summary>Attempts allowed on the wire now (see <see cref="BatchOptions.Concurrency"/>).</summary>
    public int ConcurrencyLimit { get; init; }

    /// <summary>True when the concurrency limit adapts to the server; false when it was fixed.</summary>
    public bool ConcurrencyAdapts { get; init; }

    /// <summary>The concurrency limit, attempts on the wire and goodput so far, one point per second of the run.</summary>
    public IReadOnlyList<ConcurrencyPoint> ConcurrencyTimeline { get; init; } = [];

    /// <summary>What the run has spent and reserved; null unless the engine meters cost (<see cref="BatchEngineBuilder.WithCostControl"/>).</summary>
    public BatchCostProgress? Cost { get; init; }

    /// <summary>Items answered from the response cache in this run, with no request sent.</summary>
    public long AnsweredFromCache { get; init; }

    /// <summary>
    /// Each endpoint's attempts, answers, errors, health and limits since the engine was built, when it has several
    /// (<see cref="BatchEngineBuilder(IEnumerable{Endpoints.BatchEndpoint})"/>); empty otherwise.
    /// </summary>
    public IReadOnlyList<Endpoints.EndpointProgress> Endpoints { get; init; } = [];

    /// <summary>Items that shared the answer of an identical request of this run, with no request sent.</summary>
    public long SharedAnswers { get; init; }
}
