namespace LlmBatch.Endpoints;

/// <summary>One endpoint's share of an engine's work so far, in <see cref="BatchProgress.Endpoints"/>.</summary>
public sealed record EndpointProgress
{
    /// <summary>The endpoint's name (<see cref="BatchEndpoint.Name"/>).</summary>
    public required string Name { get; init; }

    /// <summary>Whether it takes attempts now.</summary>
    public EndpointState State { get; init; }

    /// <summary>Attempts sent to it.</summary>
    public long Attempts { get; init; }

    /// <summary>Attempts it answered with a 2xx.</summary>
    public long Succeeded { get; init; }

    /// <summary>Attempts that failed there (a 5xx other than overload, no answer, a timeout, a refused key).</summary>
    public long Failed { get; init; }

    /// <summary>Attempts it answered 429.</summary>
    public long RateLimited { get; init; }

    /// <summary>Attempts on the wire to it now.</summary>
    public int InFlight { get; init; }

    /// <summary>Times it was taken out.</summary>
    public long TimesOut { get; init; }

    /// <summary>Why its last failed attempt failed (for example <c>HTTP 500</c>), or null; never holds a key.</summary>
    public string? LastError { get; init; }

    /// <summary>Its request budget in force, per minute; null when unlimited or not yet learned.</summary>
    public double? RequestsPerMinuteLimit { get; init; }

    /// <summary>Its token budget in force, per minute; null when unlimited or not yet learned.</summary>
    public double? TokensPerMinuteLimit { get; init; }
}
