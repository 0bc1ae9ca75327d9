using LlmBatch.Providers;
using LlmBatch.RateLimiting;
using LlmBatch.Resilience;
using Microsoft.Extensions.Time.Testing;

namespace LlmBatch.Tests.TestSupport.Servers;

/// <summary>
/// Drives a <see cref="ResourceController"/> against a scripted server on fake time, one thread, in 1 ms steps (the
/// granularity of a real timer), with the engine's own rules around it: at most <see cref="BatchOptions.MaxConcurrency"/>
/// items in progress, every attempt admitted by the controller, answers classified by <see cref="RetryClassifier"/>,
/// throttles retried without counting and with the retry layer's backoff, genuine failures retried up to
/// <see cref="BatchOptions.MaxAttempts"/>. Requests reach the server after a small seeded network jitter.
/// Deterministic: no real time passes.
/// </summary>
internal static class ServerSimulation
{
    public sealed record Outcome(
        TimeSpan Elapsed,
        int Succeeded,
        int Failed,
        int Unfinished,
        long Attempts,
        long RateLimited,
        long Overloaded,
        IReadOnlyList<double> LatenciesMs,
        IReadOnlyList<(double Seconds, int Limit)> LimitTrace)
    {
        public double ThrottledShare => Attempts == 0 ? 0 : (double)(RateLimited + Overloaded) / Attempts;

        public double MedianLatencyMs
        {
            get
            {
                if (LatenciesMs.Count == 0)
                {
                    return 0;
                }

                var sorted = LatenciesMs.Order().ToArray();
                return sorted[sorted.Length / 2];
            }
        }

        public override string ToString() =>
            $"{Elapsed.TotalSeconds:0.000} s, {Succeeded} ok, {Failed} failed, {Unfinished} unfinished; {Attempts} attempts, " +
            $"{RateLimited} answered 429 with headers, {Overloaded} overload answers; median latency {MedianLatencyMs:0} ms; " +
            $"limit {string.Join(' ', LimitTrace.Where((_, i) => i % Math.Max(1, LimitTrace.Count / 40) == 0).Select(p => p.Limit))}";
    }

    public static Outcome Run(FakeTimeProvider time, BatchOptions options, IScriptedServer server, IReadOnlyList<BatchCall> calls, TimeSpan limit, int seed = 1, double maxJitterMs = 2, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        using var controller = new ResourceController(options, time, logger);
        var random = new Random(seed);
        var backoff = new RetryBackoff(options.RetryBaseDelay, options.RetryMaxDelay, new Random(seed + 1));
        var start = time.GetUtcNow();
        var step = TimeSpan.FromMilliseconds(1);
        var todo = new Queue<BatchCall>(calls);
        var retries = new PriorityQueue<BatchCall, DateTimeOffset>();
        var acquiring = new List<(BatchCall Call, Task<RateLease> Lease)>();
        var wire = new PriorityQueue<SimAttempt, DateTimeOffset>();
        var latencies = new List<double>();
        var trace = new List<(double, int)>();
        int succeeded = 0, failed = 0, onServer = 0;
        long attempts = 0, rateLimited = 0, overloaded = 0;
        var lastTrace = -1;

        while (succeeded + failed < calls.Count && time.GetUtcNow() - start < limit)
        {
            var now = time.GetUtcNow();
            foreach (var answer in server.Due(now).ToList())
            {
                onServer--;
                var response = answer.Response!;
                controller.OnResponse(answer.Lease, response);
                var call = answer.Call;
                call.RecordAttempt(response.StatusCode);
                var decision = RetryClassifier.Classify(response, call.Request.Endpoint);
                call.RecordDecision(decision);
                if (response.StatusCode == 429)
                {
                    if (response.Headers.HasLimits)
                    {
                        rateLimited++;
                    }
                    else
                    {
                        overloaded++;
                    }
                }
                else if (response.StatusCode is 503 or 529)
                {
                    overloaded++;
                }

                switch (decision)
                {
                    case RetryDecision.Success:
                        succeeded++;
                        latencies.Add((now - answer.SentAt).TotalMilliseconds);
                        break;
                    case RetryDecision.Throttled:
                        retries.Enqueue(call, now + backoff.Next(call.ConsecutiveThrottles, response.Headers.RetryAfter));
                        break;
                    case RetryDecision.Retry when call.FailedAttempts < options.MaxAttempts:
                        retries.Enqueue(call, now + backoff.Next(call.FailedAttempts, response.Headers.RetryAfter));
                        break;
                    default:
                        failed++;
                        break;
                }
            }

            while (wire.TryPeek(out var sent, out var arrives) && arrives <= now)
            {
                wire.Dequeue();
                server.Arrive(sent, now);
            }

            for (var i = 0; i < acquiring.Count; i++)
            {
                var (call, lease) = acquiring[i];
                if (!lease.IsCompleted)
                {
                    continue;
                }

                acquiring.RemoveAt(i--);
                attempts++;
                onServer++;
                var attempt = new SimAttempt(call, lease.GetAwaiter().GetResult(), now);
                wire.Enqueue(attempt, now + TimeSpan.FromMilliseconds(random.NextDouble() * maxJitterMs));
            }

            while (retries.TryPeek(out _, out var due) && due <= now)
            {
                var call = retries.Dequeue();
                acquiring.Add((call, controller.AcquireAsync(call, CancellationToken.None).AsTask()));
            }

            while (todo.Count > 0 && acquiring.Count + onServer + retries.Count < options.MaxConcurrency)
            {
                var call = todo.Dequeue();
                acquiring.Add((call, controller.AcquireAsync(call, CancellationToken.None).AsTask()));
            }

            var second = (int)((now - start).TotalMilliseconds / 250);
            if (second != lastTrace)
            {
                lastTrace = second;
                trace.Add(((now - start).TotalSeconds, controller.ConcurrencyLimit));
            }

            time.Advance(step);
        }

        return new Outcome(time.GetUtcNow() - start, succeeded, failed, calls.Count - succeeded - failed, attempts, rateLimited, overloaded, latencies, trace);
    }
}
