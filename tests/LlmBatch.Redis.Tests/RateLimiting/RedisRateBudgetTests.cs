using LlmBatch.RateLimiting;
using LlmBatch.Redis.RateLimiting;
using LlmBatch.Redis.Tests.TestSupport;

namespace LlmBatch.Redis.Tests.RateLimiting;

/// <summary>The budget's calls against a real redis-server, two budgets standing for two processes.</summary>
public sealed class RedisRateBudgetTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private static readonly Uri s_endpoint = new("https://api.example.com/v1/");

    private RedisRateBudget Budget(string prefix, string jobId, BatchOptions? batch = null, double weight = 1)
    {
        var options = new RedisRateBudgetOptions { KeyPrefix = prefix, Endpoint = s_endpoint, ApiKey = "sk-unit", JobId = jobId, ShareWeight = weight };
        options.Validate();
        var key = RedisBudgetKey.For(options.KeyPrefix, s_endpoint, null, options.ApiKey);
        return new RedisRateBudget(redis.Redis.GetDatabase(), key, options, batch ?? new BatchOptions(), TimeProvider.System, null);
    }

    private static BudgetOutcome Answer(RateLimitHeaders headers, ThrottleKind kind = ThrottleKind.None) =>
        new(true, headers, kind, RateLimitScope.Unknown, -1, TokensCharged: kind == ThrottleKind.None);

    [Fact]
    public async Task TryTakeAsync_AfterAnotherProcessLearnedTheLimit_PacesAtTheLearnedRate()
    {
        var ct = TestContext.Current.CancellationToken;
        using var first = Budget("u1:", "job");
        using var second = Budget("u1:", "job");
        var grant = (await first.TryTakeAsync(1, 10, 0, ct)).Grant;
        Assert.Null(first.RequestsPerMinute);

        await first.SettleAsync(grant, Answer(new RateLimitHeaders { LimitRequests = 600, RemainingRequests = 599, ResetRequests = TimeSpan.FromMilliseconds(100) }), 0, ct);
        var decision = await second.TryTakeAsync(1, 10, 0, ct);

        Assert.True(decision.Granted);
        Assert.Equal(600, second.RequestsPerMinute!.Value, 1);

        // The learned burst is a quarter second of 10/s, about 2: the bucket runs dry within a few takes (plus what
        // refills meanwhile on a slow machine).
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var granted = 1;
        while ((await second.TryTakeAsync(1, 10, 0, ct)).Granted)
        {
            granted++;
        }

        Assert.InRange(granted, 1, 3 + (int)(clock.Elapsed.TotalSeconds * 10));
    }

    [Theory]
    [InlineData(1, 3000, 3000)]
    [InlineData(3, 4500, 1500)]
    public async Task TryTakeAsync_TwoJobsOnOneBudget_EachHeldToItsWeightedShare(double weightA, double expectedA, double expectedB)
    {
        var ct = TestContext.Current.CancellationToken;
        var prefix = $"u2-{weightA}:";
        using var a = Budget(prefix, "job-a", new BatchOptions { RequestsPerMinute = 6000 }, weightA);
        using var b = Budget(prefix, "job-b", new BatchOptions { RequestsPerMinute = 6000 });

        await a.TryTakeAsync(1, 1, 0, ct);
        await b.TryTakeAsync(1, 1, 0, ct);
        await a.TryTakeAsync(1, 1, 0, ct);

        Assert.Equal(expectedA, a.RequestsPerMinute!.Value, 1);
        Assert.Equal(expectedB, b.RequestsPerMinute!.Value, 1);
        Assert.Null(a.TokensPerMinute);
    }

    [Fact]
    public async Task SettleAsync_UsageBelowTheEstimate_RefundsTheSharedTokenBucket()
    {
        var ct = TestContext.Current.CancellationToken;

        // 600 tokens a minute with a one-second burst (less the jitter allowance): about 8.5 tokens to take.
        using var budget = Budget("u10:", "job", new BatchOptions { TokensPerMinute = 600 });
        using var other = Budget("u10:", "job", new BatchOptions { TokensPerMinute = 600 });
        var grant = await budget.TryTakeAsync(1, 8, 0, ct);
        Assert.True(grant.Granted);
        Assert.False((await other.TryTakeAsync(1, 8, 0, ct)).Granted);

        await budget.SettleAsync(grant.Grant, new BudgetOutcome(true, RateLimitHeaders.Empty, ThrottleKind.None, RateLimitScope.Unknown, 1, true), 0, ct);

        Assert.True((await other.TryTakeAsync(1, 7, 0, ct)).Granted);
    }

    [Fact]
    public async Task Dispose_OneOfTwoJobsLeaves_TheOtherGetsTheWholeBudgetAtOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        using var a = Budget("u8:", "job-a", new BatchOptions { RequestsPerMinute = 6000 });
        var b = Budget("u8:", "job-b", new BatchOptions { RequestsPerMinute = 6000 });
        await a.TryTakeAsync(1, 1, 0, ct);
        await b.TryTakeAsync(1, 1, 0, ct);
        await a.TryTakeAsync(1, 1, 0, ct);
        Assert.Equal(3000, a.RequestsPerMinute!.Value, 1);

        b.Dispose();
        await redis.Redis.GetDatabase().PingAsync();
        await a.TryTakeAsync(1, 1, 0, ct);

        Assert.Equal(6000, a.RequestsPerMinute!.Value, 1);
    }

    [Fact]
    public async Task PauseAsync_OneProcessPauses_AnotherWaitsItOut()
    {
        var ct = TestContext.Current.CancellationToken;
        using var first = Budget("u3:", "job");
        using var second = Budget("u3:", "job");

        await first.PauseAsync(TimeSpan.FromSeconds(5), "Rate limited (429)", 0, ct);
        var decision = await second.TryTakeAsync(1, 1, 0, ct);

        Assert.False(decision.Granted);
        Assert.InRange(decision.RetryAfter, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(5));
        Assert.NotNull(second.PausedUntil);
    }

    [Fact]
    public async Task SettleAsync_NotSent_GivesTheGrantBack()
    {
        var ct = TestContext.Current.CancellationToken;
        using var budget = Budget("u4:", "job", new BatchOptions { RequestsPerMinute = 60 });
        var taken = 0;
        BudgetGrant last = default;
        while ((await budget.TryTakeAsync(1, 1, 0, ct)) is { Granted: true } d)
        {
            last = d.Grant;
            taken++;
        }

        await budget.SettleAsync(last, BudgetOutcome.NotSent, 0, ct);

        Assert.InRange(taken, 1, 2);
        Assert.True((await budget.TryTakeAsync(1, 1, 0, ct)).Granted);
    }

    [Fact]
    public async Task SettleAsync_UnpredictedRateLimit_CutsTheSharedBurstAndEmptiesTheBucket()
    {
        var ct = TestContext.Current.CancellationToken;
        using var budget = Budget("u5:", "job");
        var grant = (await budget.TryTakeAsync(1, 1, 0, ct)).Grant;
        await budget.SettleAsync(grant, Answer(new RateLimitHeaders { LimitRequests = 600 }), 0, ct);
        grant = (await budget.TryTakeAsync(1, 1, 0, ct)).Grant;

        await budget.SettleAsync(grant, Answer(new RateLimitHeaders { LimitRequests = 600 }, ThrottleKind.RateLimited), 0, ct);
        var decision = await budget.TryTakeAsync(1, 1, 0, ct);

        Assert.False(decision.Granted);
        Assert.Equal(600 * LimitLearner.MarginCut, budget.RequestsPerMinute!.Value, 1);
    }

    [Fact]
    public async Task TryTakeAsync_AfterTheServerForgotTheScripts_LoadsThemAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        using var budget = Budget("u6:", "job", new BatchOptions { RequestsPerMinute = 600 });
        Assert.True((await budget.TryTakeAsync(1, 1, 0, ct)).Granted);

        await redis.Redis.GetDatabase().ExecuteAsync("SCRIPT", "FLUSH");

        Assert.True((await budget.TryTakeAsync(1, 1, 0, ct)).Granted);
        Assert.Equal(600, budget.RequestsPerMinute!.Value, 1);
    }

    [Fact]
    public async Task TryTakeAsync_RedisUnreachable_WaitsWithGrowingBackoffAndNeverGrants()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var nowhere = await RedisServerFixture.ConnectNowhereAsync();
        var options = new RedisRateBudgetOptions { Endpoint = s_endpoint, MaxRetryDelay = TimeSpan.FromMilliseconds(400) };
        using var budget = new RedisRateBudget(nowhere.GetDatabase(), "u7:budget", options, new BatchOptions(), TimeProvider.System, null);

        var waits = new List<TimeSpan>();
        for (var i = 0; i < 5; i++)
        {
            var decision = await budget.TryTakeAsync(1, 1, 0, ct);
            Assert.False(decision.Granted);
            waits.Add(decision.RetryAfter);
        }

        Assert.Equal([50, 100, 200, 400, 400], waits.Select(w => (int)w.TotalMilliseconds));
    }

    [Fact]
    public void Validate_EveryProblem_ListedInOneException()
    {
        var options = new RedisRateBudgetOptions { KeyPrefix = "", JobId = " ", ShareWeight = 0, TakerTimeout = TimeSpan.Zero, MaxRetryDelay = TimeSpan.Zero };

        var e = Assert.Throws<BatchOptionsException>(options.Validate);

        Assert.Equal(6, e.Problems.Count);
    }

    [Theory]
    [InlineData("https://API.openai.com/v1/", null, "api.openai.com/v1")]
    [InlineData("http://api.openai.com:80/v1", null, "api.openai.com/v1")]
    [InlineData("http://10.0.0.5:8000/v1", "gpt-4o", "10.0.0.5:8000/v1|gpt-4o")]
    public void For_EndpointAndModel_NormalisedWithKeyHash(string url, string? model, string expected)
    {
        var key = RedisBudgetKey.For("llmbatch:", new Uri(url), model, "sk-secret");

        Assert.Equal($"llmbatch:budget:{{{expected}:{RedisBudgetKey.KeyHash("sk-secret")}}}", key);
        Assert.Equal(16, RedisBudgetKey.KeyHash("sk-secret").Length);
        Assert.Equal("nokey", RedisBudgetKey.KeyHash(null));
    }
}
