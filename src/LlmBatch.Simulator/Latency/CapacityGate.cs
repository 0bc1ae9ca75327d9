namespace LlmBatch.Simulator;

/// <summary>
/// Bounds the requests being processed, like the batch slots of an inference server: past the bound a request
/// either waits for a slot (queue) or is turned away (reject).
/// </summary>
internal sealed class CapacityGate : IDisposable
{
    private readonly SemaphoreSlim? _slots;
    private readonly bool _reject;

    public CapacityGate(SimulatorOptions options)
    {
        _slots = options.MaxInFlight > 0 ? new SemaphoreSlim(options.MaxInFlight, options.MaxInFlight) : null;
        _reject = options.Overflow is SimulatorOverflow.Reject or SimulatorOverflow.Reject429;
    }

    /// <summary>Takes a slot; false when the request must be rejected.</summary>
    public async ValueTask<bool> EnterAsync(CancellationToken ct)
    {
        if (_slots is null)
        {
            return true;
        }

        if (_reject)
        {
            return _slots.Wait(0, CancellationToken.None);
        }

        await _slots.WaitAsync(ct).ConfigureAwait(false);
        return true;
    }

    public void Exit() => _slots?.Release();

    public void Dispose() => _slots?.Dispose();
}
