using System.Diagnostics;
using System.Globalization;
using LlmBatch.Input;
using LlmBatch.Providers;
using LlmBatch.RateLimiting;
using LlmBatch.Redis.RateLimiting;
using StackExchange.Redis;

namespace LlmBatch.Bench.RedisBudget;

/// <summary>
/// CPU per attempt of the budget: one admission and one settlement through <see cref="ResourceController"/>, with
/// budgets large enough that nothing waits (as bench/LlmBatch.Benchmarks' LimiterBenchmarks), in process and in Redis.
/// The client's CPU is the process's; the server's is redis-server's own (INFO cpu), both divided by the attempts.
/// </summary>
internal static class Cpu
{
    private static readonly byte[] s_body = System.Text.Encoding.UTF8.GetBytes(
        "{\"id\":\"c\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hi\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":41,\"completion_tokens\":37,\"total_tokens\":78}}");

    public static async Task RunAsync(IConnectionMultiplexer redis, string prefix, int attempts, Process? server)
    {
        var options = new BatchOptions { RequestsPerMinute = 1e12, TokensPerMinute = 1e15 };
        var headers = new RateLimitHeaders
        {
            LimitRequests = 1_000_000_000,
            RemainingRequests = 999_999_000,
            LimitTokens = 1_000_000_000_000,
            RemainingTokens = 999_999_000_000,
            ResetRequests = TimeSpan.FromMilliseconds(6),
            ResetTokens = TimeSpan.FromMilliseconds(6),
        };
        var plain = new BatchResponse { StatusCode = 200, Body = s_body };
        var withHeaders = new BatchResponse { StatusCode = 200, Body = s_body, Headers = headers };

        // Two passes, the first unprinted: the JIT's second tier and StackExchange.Redis's own warm-up otherwise land in
        // whichever row runs first (measured: 101 µs of client CPU per attempt in the first Redis row, 42 in the next).
        for (var pass = 0; pass < 2; pass++)
        {
            var print = pass == 1;
            if (print)
            {
                Console.WriteLine($"CPU per attempt (acquire + settle through ResourceController), {attempts:N0} attempts one after another, redis-server on loopback");
                Console.WriteLine("| budget | answer | wall µs/attempt | client CPU µs/attempt | redis-server CPU µs/attempt | total CPU µs/attempt | ratio to local |");
                Console.WriteLine("|---|---|---:|---:|---:|---:|---:|");
            }

            foreach (var (name, response) in new[] { ("usage, no headers", plain), ("usage and x-ratelimit headers", withHeaders) })
            {
                var local = await MeasureAsync(() => new ResourceController(options, TimeProvider.System), response, attempts, redis, server);
                var shared = await MeasureAsync(() => SharedController(redis, prefix, options), response, attempts, redis, server);
                if (print)
                {
                    Print("local (in process)", name, local, local.Total);
                    Print("Redis (shared)", name, shared, local.Total);
                }
            }
        }

        var floor = await RoundTripsAsync(redis, attempts, server);
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"| floor: two EVALSHA of 'return 1' | — | {floor.Wall:0.00} | {floor.Client:0.00} | {floor.Server:0.00} | {floor.Total:0.00} | |"));
    }

    /// <summary>The round trips alone: two scripts that do nothing, one after another, as a take and a settlement are.</summary>
    private static async Task<Figures> RoundTripsAsync(IConnectionMultiplexer redis, int attempts, Process? server)
    {
        var db = redis.GetDatabase();
        var sha = (byte[])(await db.ExecuteAsync("SCRIPT", "LOAD", "return 1"))!;
        var hash = Convert.FromHexString(System.Text.Encoding.ASCII.GetString(sha));
        for (var i = 0; i < attempts / 5; i++)
        {
            await db.ScriptEvaluateAsync(hash);
        }

        var cpu0 = Environment.CpuUsage.TotalTime;
        var server0 = ServerCpu(server);
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < attempts; i++)
        {
            await db.ScriptEvaluateAsync(hash);
            await db.ScriptEvaluateAsync(hash);
        }

        sw.Stop();
        return new Figures(sw.Elapsed.TotalMicroseconds / attempts, (Environment.CpuUsage.TotalTime - cpu0).TotalMicroseconds / attempts, (ServerCpu(server) - server0).TotalMicroseconds / attempts);
    }

    private static ResourceController SharedController(IConnectionMultiplexer redis, string prefix, BatchOptions options)
    {
        var o = new RedisRateBudgetOptions { KeyPrefix = prefix, Endpoint = new Uri("http://bench/v1"), ApiKey = "sk-bench" };
        o.Validate();
        var budget = new RedisRateBudget(redis.GetDatabase(), RedisBudgetKey.For(prefix, o.Endpoint!, null, o.ApiKey), o, options, TimeProvider.System, null);
        return new ResourceController(options, TimeProvider.System, budget);
    }

    private static void Print(string budget, string answer, Figures f, double localTotal) =>
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"| {budget} | {answer} | {f.Wall:0.00} | {f.Client:0.00} | {f.Server:0.00} | {f.Total:0.00} | {f.Total / localTotal:0.0}× |"));

    private static async Task<Figures> MeasureAsync(Func<ResourceController> create, BatchResponse response, int attempts, IConnectionMultiplexer redis, Process? server)
    {
        using var controller = create();
        var call = new BatchCall(BatchRequest.Create("r1", "/v1/chat/completions", "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":64}"));
        await LoopAsync(controller, call, response, attempts / 5);
        var db = redis.GetDatabase();
        await db.PingAsync();
        var cpu0 = Environment.CpuUsage.TotalTime;
        var server0 = ServerCpu(server);
        var sw = Stopwatch.StartNew();
        await LoopAsync(controller, call, response, attempts);
        await db.PingAsync();
        sw.Stop();
        var client = (Environment.CpuUsage.TotalTime - cpu0).TotalMicroseconds / attempts;
        var serverCpu = (ServerCpu(server) - server0).TotalMicroseconds / attempts;
        return new Figures(sw.Elapsed.TotalMicroseconds / attempts, client, serverCpu);
    }

    private static async Task LoopAsync(ResourceController controller, BatchCall call, BatchResponse response, int attempts)
    {
        for (var i = 0; i < attempts; i++)
        {
            var lease = await controller.AcquireAsync(call, CancellationToken.None);
            controller.OnResponse(lease, response);
        }
    }

    /// <summary>redis-server's CPU time so far, from /proc (user + system), or zero when it is not our child.</summary>
    private static TimeSpan ServerCpu(Process? server)
    {
        if (server is null)
        {
            return TimeSpan.Zero;
        }

        server.Refresh();
        return server.TotalProcessorTime;
    }

    private readonly record struct Figures(double Wall, double Client, double Server)
    {
        public double Total => Client + Server;
    }
}
