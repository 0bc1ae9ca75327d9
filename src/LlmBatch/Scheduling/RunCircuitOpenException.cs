namespace LlmBatch;

/// <summary>
/// Thrown by <see cref="RunCircuitBreakerHandler"/> for every call once the run's circuit is open: the engine records
/// nothing for the call and ends the run with <see cref="Reason"/>.
/// </summary>
internal sealed class RunCircuitOpenException(Exception reason) : Exception(reason.Message, reason)
{
    /// <summary>Why the run stopped (<see cref="BatchAuthenticationException"/>, <see cref="BatchQuotaExhaustedException"/>, <see cref="BatchEndpointUnreachableException"/>).</summary>
    public Exception Reason { get; } = reason;
}
