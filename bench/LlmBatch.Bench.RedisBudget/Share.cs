using System.Diagnostics;
using System.Globalization;
using LlmBatch.Input;
using LlmBatch.Providers;
using LlmBatch.Redis.RateLimiting;
using LlmBatch.Simulator;
using StackExchange.Redis;

namespace LlmBatch.Bench.RedisBudget;

/// <summary>
/// Two jobs started independently (0.3 s apart, separate builders: separate "processes") against one simulator limit
/// and one key: each job's share of the answers while both ran, the 429s, and the throughput against the limit; with
/// the budget in Redis and, as the baseline, each engine with its own in-process budget.
/// </summary>
internal static class Share
{
    private const string Key = "sk-bench-share";

    public static async Task RunAsync(IConnectionMultiplexer redis, string prefix, int items, int rpm)
    {
        Console.WriteLine();
        Console.WriteLine($"Two jobs of {items:N0} items each, started 0.3 s apart, one key, simulator enforcing {rpm:N0} RPM (1 s bucket, 20 ms latency)");
        Console.WriteLine("| budget | job A share while both ran | job B share | 429s | 429 % | throughput / limit | items correct |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var shared in new[] { true, false })
        {
            await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions
            {
                RequestsPerMinute = rpm,
                Latency = TimeSpan.FromMilliseconds(20),
                LatencyJitter = 0.2,
                PerToken = TimeSpan.Zero,
                Seed = 11,
            });
            var start = Stopwatch.GetTimestamp();
            var a = RunJobAsync(sim, redis, prefix, "a", items, shared);
            await Task.Delay(300);
            var b = RunJobAsync(sim, redis, prefix, "b", items, shared);
            var jobs = await Task.WhenAll(a, b);
            var end = Stopwatch.GetTimestamp();

            var from = jobs[1].Answers.Min() + (Stopwatch.Frequency / 2);
            var to = Math.Min(jobs[0].Finished, jobs[1].Finished);
            var inA = jobs[0].Answers.Count(t => t >= from && t < to);
            var inB = jobs[1].Answers.Count(t => t >= from && t < to);
            var stats = sim.GetStats();
            var seconds = Stopwatch.GetElapsedTime(start, end).TotalSeconds;
            var ideal = 2.0 * items / (rpm / 60.0);
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {(shared ? "Redis (shared)" : "in process, one per engine")} | {inA / (double)(inA + inB):P1} | {inB / (double)(inA + inB):P1} | {stats.RateLimitedRequests} | {100.0 * stats.RateLimitedRequests / stats.TotalRequests:0.00} % | {ideal / seconds:0.00} | {jobs[0].Correct + jobs[1].Correct:N0} / {2 * items:N0} |"));
        }
    }

    private static async Task<Job> RunJobAsync(SimulatorServer sim, IConnectionMultiplexer redis, string prefix, string name, int items, bool shared)
    {
        var job = new Job();
        var builder = new BatchEngineBuilder(BatchProviders.Http(sim.BaseUrl, Key)).Use(next => new AnswerClock(next, job.Answers));
        if (shared)
        {
            builder.WithRedisRateBudget(redis, new RedisRateBudgetOptions { KeyPrefix = prefix, Endpoint = sim.BaseUrl, ApiKey = Key, JobId = name });
        }

        using var engine = builder.Build();
        await foreach (var result in engine.RunAsync(Requests(name, items)))
        {
            if (result.IsSuccess)
            {
                job.Correct++;
            }
        }

        job.Finished = Stopwatch.GetTimestamp();
        return job;
    }

    private static async IAsyncEnumerable<BatchRequest> Requests(string name, int items)
    {
        for (var i = 0; i < items; i++)
        {
            yield return BatchRequest.Create($"{name}-{i}", "/v1/chat/completions", $"{{\"model\":\"gpt-4o-mini\",\"messages\":[{{\"role\":\"user\",\"content\":\"item {i}\"}}],\"max_tokens\":16}}");
        }

        await Task.CompletedTask;
    }

    private sealed class Job
    {
        public System.Collections.Concurrent.ConcurrentQueue<long> Answers { get; } = new();

        public long Finished { get; set; }

        public int Correct { get; set; }
    }

    private sealed class AnswerClock(IBatchHandler next, System.Collections.Concurrent.ConcurrentQueue<long> answers) : IBatchHandler
    {
        public async ValueTask<BatchResponse> SendAsync(BatchCall item, CancellationToken cancellationToken)
        {
            var response = await next.SendAsync(item, cancellationToken);
            if (response.StatusCode == 200)
            {
                answers.Enqueue(Stopwatch.GetTimestamp());
            }

            return response;
        }

        public void Dispose() => next.Dispose();
    }
}
