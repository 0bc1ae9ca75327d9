using Microsoft.Extensions.Time.Testing;

namespace LlmBatch.Tests.RateLimiting;

/// <summary>
/// Drives a <see cref="ResourceController"/> against a <see cref="FakeRateLimitedServer"/> on fake time, one thread,
/// in 1 ms steps (the granularity of a real timer): a bounded number of workers acquire, send, wait a fixed
/// latency, hand the response back, and retry a 429. Deterministic: no real time passes.
/// </summary>
internal static class RateLimitSimulation
{
    public sealed record Outcome(TimeSpan Elapsed, long Rejected, long Attempts, IReadOnlyList<int> SentPerSecond)
    {
        public override string ToString() =>
            $"{Elapsed.TotalSeconds:0.000} s, {Rejected} rejected of {Attempts} attempts; sent per second: {string.Join(' ', SentPerSecond)}";
    }

    public static Outcome Run(
        FakeTimeProvider time,
        BatchOptions options,
        FakeRateLimitedServer server,
        IReadOnlyList<BatchCall> calls,
        TimeSpan latency)
    {
        using var controller = new ResourceController(options, time);
        var start = time.GetUtcNow();
        var step = TimeSpan.FromMilliseconds(1);
        var todo = new Queue<BatchCall>(calls);
        var acquiring = new Queue<(BatchCall Call, Task<RateLease> Lease)>();
        var inFlight = new PriorityQueue<(RateLease Lease, BatchCall Call, BatchResponse Response), DateTimeOffset>();
        long attempts = 0;
        var sentPerSecond = new List<int>();
        var done = 0;

        void Send(BatchCall call, RateLease lease)
        {
            attempts++;
            var second = (int)(time.GetUtcNow() - start).TotalSeconds;
            while (sentPerSecond.Count <= second)
            {
                sentPerSecond.Add(0);
            }

            sentPerSecond[second]++;
            inFlight.Enqueue((lease, call, server.Handle(call)), time.GetUtcNow() + latency);
        }

        while (done < calls.Count)
        {
            var progressed = true;
            while (progressed)
            {
                progressed = false;
                while (inFlight.TryPeek(out var answer, out var due) && due <= time.GetUtcNow())
                {
                    inFlight.Dequeue();
                    controller.OnResponse(answer.Lease, answer.Response);
                    if (answer.Response.StatusCode == 429)
                    {
                        todo.Enqueue(answer.Call);
                    }
                    else
                    {
                        done++;
                    }

                    progressed = true;
                }

                while (acquiring.TryPeek(out var waiting) && waiting.Lease.IsCompleted)
                {
                    acquiring.Dequeue();
                    Send(waiting.Call, waiting.Lease.GetAwaiter().GetResult());
                    progressed = true;
                }

                while (todo.Count > 0 && acquiring.Count + inFlight.Count < options.MaxConcurrency)
                {
                    var call = todo.Dequeue();
                    var lease = controller.AcquireAsync(call, CancellationToken.None).AsTask();
                    acquiring.Enqueue((call, lease));
                    progressed = true;
                }
            }

            time.Advance(step);
        }

        return new Outcome(time.GetUtcNow() - start, server.Rejected, attempts, sentPerSecond);
    }
}
