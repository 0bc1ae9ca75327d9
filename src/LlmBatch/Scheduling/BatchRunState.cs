namespace LlmBatch;

/// <summary>
/// What belongs to one run of an engine rather than to the engine: its counters, its stop, its open circuit and its
/// fatal error. Every call of the run carries it (<see cref="Providers.BatchCall"/>), so the layers that keep run-level
/// facts (the attempt counter, the run's circuit breaker, the controller refusing a stopped run's waiters) read the
/// run's own state through the call they already hold, with no allocation per request; two runs on one engine then
/// never see each other's counts or stop.
/// </summary>
internal sealed class BatchRunState : IDisposable
{
    private readonly CancellationTokenSource _dispatchStop = new();

    // Written by concurrent items, the breaker and the stall watchdog: the first one wins (Interlocked).
    private Exception? _fatal;
    private Exception? _circuitOpen;

    public BatchRunState(long started)
    {
        Started = started;
        Counters.MarkProgress(started);
    }

    /// <summary>The run's live counts.</summary>
    public RunCounters Counters { get; } = new();

    /// <summary>When the run started (a <see cref="TimeProvider"/> timestamp).</summary>
    public long Started { get; }

    /// <summary>Cancelled when the run stops dispatch: nothing more is read or sent.</summary>
    public CancellationToken DispatchStopToken => _dispatchStop.Token;

    /// <summary>Whether the run has stopped dispatch.</summary>
    public bool IsStopped => _dispatchStop.IsCancellationRequested;

    /// <summary>The first error that ended the run, or null.</summary>
    public Exception? Fatal => Volatile.Read(ref _fatal);

    /// <summary>Why the run's circuit is open, or null while it is closed.</summary>
    public Exception? CircuitOpenReason => Volatile.Read(ref _circuitOpen);

    /// <summary>Records the error that ends the run; a later one is dropped.</summary>
    public void SetFatal(Exception error) => Interlocked.CompareExchange(ref _fatal, error, null);

    /// <summary>Opens the run's circuit; returns the reason that won (the first one).</summary>
    public Exception OpenCircuit(Exception reason) => Interlocked.CompareExchange(ref _circuitOpen, reason, null) ?? reason;

    /// <summary>Marks the run stopped; returns false when it already was.</summary>
    public bool Stop()
    {
        try
        {
            if (_dispatchStop.IsCancellationRequested)
            {
                return false;
            }

            _dispatchStop.Cancel();
            return true;
        }
        catch (ObjectDisposedException)
        {
            // The run ended meanwhile.
            return false;
        }
    }

    public void Dispose() => _dispatchStop.Dispose();
}
