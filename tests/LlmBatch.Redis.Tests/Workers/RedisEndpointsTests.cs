using System.Collections.Concurrent;
using LlmBatch.Redis.Jobs;
using LlmBatch.Redis.Owner;
using LlmBatch.Redis.RateLimiting;
using LlmBatch.Redis.Tests.TestSupport;
using LlmBatch.Redis.Workers;
using LlmBatch.Simulator;
using StackExchange.Redis;

namespace LlmBatch.Redis.Tests.Workers;

/// <summary>A job over two endpoints (two simulators, each demanding its own key) shared through Redis.</summary>
public class RedisEndpointsTests
{
    private const string KeyA = "LLMBATCH_TEST_ENDPOINT_A_KEY";
    private const string KeyB = "LLMBATCH_TEST_ENDPOINT_B_KEY";

    private static readonly Dictionary<string, string> s_bothKeys = new(StringComparer.Ordinal) { [KeyA] = "sk-a", [KeyB] = "sk-b" };

    [Fact(Timeout = 60_000)]
    public async Task RunAsync_OwnerAndWorkerOverTwoEndpoints_EachCustomIdOnceBothEndpointsUsedEachOnItsSharedBudget()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scenario = await RedisJobScenario.StartAsync(200, TimeSpan.FromMilliseconds(20), ct, apiKey: "sk-a");
        await using var b = await StartSecondAsync(ct);
        var options = Options(scenario, b);
        options.Environment = Lookup(s_bothKeys);
        var (result, status) = await RunWithWorkerAsync(scenario, options, Lookup(s_bothKeys), null, ct);

        Assert.True(result.Completed);
        scenario.AssertEachOnce();
        Assert.True(status.Done > 0, "the worker did nothing");
        Assert.True(result.Workers.Count == 2, $"expected the owner and the worker, saw {result.Workers.Count}");
        var (onA, onB) = (scenario.Simulator.GetStats().TotalRequests, b.GetStats().TotalRequests);
        Assert.True(onA > 0 && onB > 0, $"both endpoints must be used: a {onA}, b {onB}");
        Assert.Equal(200, onA + onB);
        var lines = File.ReadAllLines(scenario.OutputPath);
        Assert.Contains(lines, l => l.Contains("\"endpoint\":\"a\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("\"endpoint\":\"b\"", StringComparison.Ordinal));

        // Each endpoint's budget lives in Redis under that endpoint and a hash of its key, not in each process.
        await using var redis = await ConnectionMultiplexer.ConnectAsync(scenario.Redis.Endpoint);
        var db = redis.GetDatabase();
        Assert.True(await db.KeyExistsAsync(RedisBudgetKey.For(RedisScaleOut.KeyPrefix, scenario.Simulator.BaseUrl, null, "sk-a")), "no shared budget for endpoint a");
        Assert.True(await db.KeyExistsAsync(RedisBudgetKey.For(RedisScaleOut.KeyPrefix, b.BaseUrl, null, "sk-b")), "no shared budget for endpoint b");
    }

    [Fact(Timeout = 60_000)]
    public async Task RunAsync_WorkerHoldsOnlyOneEndpointsKey_UsesOnlyThatEndpoint()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scenario = await RedisJobScenario.StartAsync(120, TimeSpan.FromMilliseconds(10), ct, apiKey: "sk-a");
        await using var b = await StartSecondAsync(ct);
        var ownerLog = new ConcurrentQueue<string>();
        var options = Options(scenario, b);
        options.Environment = _ => null; // the owner holds no key: it only enqueues and collects.
        options.Log = ownerLog.Enqueue;
        var log = new ConcurrentQueue<string>();
        var onlyA = Lookup(new Dictionary<string, string>(StringComparer.Ordinal) { [KeyA] = "sk-a" });
        var (result, status) = await RunWithWorkerAsync(scenario, options, onlyA, log.Enqueue, ct);

        Assert.True(result.Completed);
        scenario.AssertEachOnce();
        Assert.Equal(120, status.Done);
        Assert.Equal(120, scenario.Simulator.GetStats().TotalRequests);
        Assert.Equal(0, b.GetStats().TotalRequests);
        Assert.Contains(ownerLog, l => l.Contains("does not take part", StringComparison.Ordinal) && l.Contains(KeyB, StringComparison.Ordinal));
        Assert.Contains(log, l => l.Contains("joins job", StringComparison.Ordinal) && l.Contains("endpoints a of 2", StringComparison.Ordinal));
    }

    [Fact(Timeout = 90_000)]
    public async Task Run_CliOwnerWithEndpointsFileAndAWorkerHoldingOneKey_ExitZeroEachOnceBothEndpointsUsed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scenario = await RedisJobScenario.StartAsync(120, TimeSpan.FromMilliseconds(60), ct, apiKey: "sk-a");
        await using var b = await StartSecondAsync(ct);
        var file = Path.Combine(scenario.Directory, "endpoints.json");
        await File.WriteAllTextAsync(file, $$"""
            [{"name": "a", "base_url": "{{scenario.Simulator.BaseUrl}}", "api_key_env": "{{KeyA}}"},
             {"name": "b", "base_url": "{{b.BaseUrl}}", "api_key_env": "{{KeyB}}"}]
            """, ct);
        using var stopWorker = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var worker = Task.Run(() => RedisBatchWorker.RunAsync(new RedisWorkerOptions
        {
            Redis = scenario.Redis.Url,
            Concurrency = 4,
            PollInterval = TimeSpan.FromMilliseconds(20),
            Environment = Lookup(new Dictionary<string, string>(StringComparer.Ordinal) { [KeyA] = "sk-a" }),
        }, stopWorker.Token), ct);

        using var owner = CliChild.Start(
            ["run", scenario.InputPath, "-o", scenario.OutputPath, "--endpoints", file, "--redis", scenario.Redis.Url, "--concurrency", "4", "--progress", "none", "--no-report"],
            (KeyA, "sk-a"),
            (KeyB, "sk-b"));
        var exit = await owner.ExitCodeAsync(ct);
        await stopWorker.CancelAsync();
        var status = await worker;

        Assert.True(exit == 0, owner.Output);
        scenario.AssertEachOnce();
        Assert.True(b.GetStats().TotalRequests > 0, "the owner never used endpoint b: " + owner.Output);
        Assert.True(status.Done > 0, "the worker did nothing: " + owner.Output);
        Assert.Equal(120, scenario.Simulator.GetStats().TotalRequests + b.GetStats().TotalRequests);
        Assert.DoesNotContain("sk-b", owner.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingKey_NoEndpointsKeyHeld_SaysWhichVariablesAreMissing_OneHeldOrKeylessIsEnough()
    {
        var spec = new RedisJobSpec
        {
            JobId = "j",
            Endpoints = [new RedisJobEndpoint { Name = "a", BaseUrl = "http://a/v1", ApiKeyVariable = KeyA }, new RedisJobEndpoint { Name = "b", BaseUrl = "http://b/v1", ApiKeyVariable = KeyB }],
        };

        Assert.Equal($"none of its 2 endpoints' key variables ({KeyA}, {KeyB}) is set in this worker's environment", RedisEngineFactory.MissingKey(spec, _ => null));
        Assert.Null(RedisEngineFactory.MissingKey(spec, v => v == KeyB ? "sk-b" : null));
        var keyless = spec with { Endpoints = [.. spec.Endpoints!, new RedisJobEndpoint { Name = "local", BaseUrl = "http://localhost:8000/v1" }] };
        Assert.Null(RedisEngineFactory.MissingKey(keyless, _ => null));
    }

    /// <summary>Runs the owner's job with one in-process worker beside it reading <paramref name="environment"/>.</summary>
    private static async Task<(RedisBatchJobResult Result, RedisWorkerStatus Worker)> RunWithWorkerAsync(
        RedisJobScenario scenario, RedisBatchJobOptions options, Func<string, string?> environment, Action<string>? log, CancellationToken ct)
    {
        using var stopWorker = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var worker = Task.Run(() => RedisBatchWorker.RunAsync(new RedisWorkerOptions
        {
            Redis = scenario.Redis.Url,
            Concurrency = 8,
            PollInterval = TimeSpan.FromMilliseconds(20),
            Environment = environment,
            Log = log,
        }, stopWorker.Token), ct);

        var result = await RedisBatchJob.RunAsync(options, ct);
        await stopWorker.CancelAsync();
        return (result, await worker);
    }

    private static RedisBatchJobOptions Options(RedisJobScenario scenario, SimulatorServer b)
    {
        var options = scenario.OwnerOptions(takePart: false, concurrency: 4);
        options.BaseUrl = null;
        options.Endpoints =
        [
            new RedisJobEndpoint { Name = "a", BaseUrl = scenario.Simulator.BaseUrl.ToString(), ApiKeyVariable = KeyA },
            new RedisJobEndpoint { Name = "b", BaseUrl = b.BaseUrl.ToString(), ApiKeyVariable = KeyB },
        ];
        return options;
    }

    private static Task<SimulatorServer> StartSecondAsync(CancellationToken ct) => SimulatorServer.StartAsync(
        new SimulatorOptions { Latency = TimeSpan.FromMilliseconds(20), LatencyJitter = 0, PerToken = TimeSpan.Zero, CompletionTokens = 4, BurstSeconds = 1, ApiKey = "sk-b" }, ct);

    private static Func<string, string?> Lookup(Dictionary<string, string> variables) => v => variables.GetValueOrDefault(v);
}
