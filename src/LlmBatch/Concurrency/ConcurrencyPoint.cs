namespace LlmBatch.Concurrency;

/// <summary>One point of a run's concurrency timeline.</summary>
/// <param name="AtSeconds">Seconds from the first attempt to the start of the span.</param>
/// <param name="SpanSeconds">How long the point covers (1 s, more in very long runs).</param>
/// <param name="Limit">The highest concurrency limit in force during the span.</param>
/// <param name="InFlight">The most attempts on the wire during the span.</param>
/// <param name="Goodput">Successful attempts per second over the span.</param>
public readonly record struct ConcurrencyPoint(double AtSeconds, double SpanSeconds, int Limit, int InFlight, double Goodput);
