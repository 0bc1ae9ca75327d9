using LlmBatch.Providers;

namespace LlmBatch.Tests.TestSupport.Servers;

/// <summary>A server that decides each answer on arrival (a rate limiter model) and returns it after a fixed latency; refusals after 1 ms.</summary>
internal sealed class InstantServer(Func<BatchCall, BatchResponse> handle, TimeSpan latency) : IScriptedServer
{
    private readonly PriorityQueue<SimAttempt, DateTimeOffset> _pending = new();

    public void Arrive(SimAttempt attempt, DateTimeOffset now)
    {
        var response = handle(attempt.Call);
        attempt.Response = response;
        attempt.DueAt = now + (response.StatusCode == 200 ? latency : TimeSpan.FromMilliseconds(1));
        _pending.Enqueue(attempt, attempt.DueAt);
    }

    public IEnumerable<SimAttempt> Due(DateTimeOffset now)
    {
        while (_pending.TryPeek(out var a, out var due) && due <= now)
        {
            _pending.Dequeue();
            yield return a;
        }
    }
}
