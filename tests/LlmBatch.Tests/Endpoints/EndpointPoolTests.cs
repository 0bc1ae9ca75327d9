using LlmBatch.Endpoints;
using LlmBatch.Providers;
using LlmBatch.RateLimiting;
using LlmBatch.Tests.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace LlmBatch.Tests.Endpoints;

/// <summary>The race for admission between endpoints, on a fake clock.</summary>
public class EndpointPoolTests
{
    [Fact]
    public async Task AcquireAsync_EndpointsWithDifferentLimits_EachAdmitsAtItsOwnRate()
    {
        var time = new FakeTimeProvider();
        var provider = new ScriptedHandler(ScriptedHandler.Status(200));
        using var pool = new EndpointPool(
            [new BatchEndpoint("slow", provider) { RequestsPerMinute = 600 }, new BatchEndpoint("fast", provider) { RequestsPerMinute = 1800 }],
            new BatchOptions(),
            new EndpointHealthOptions(),
            time,
            NullLoggerFactory.Instance);

        // 400 attempts wait at once; together the endpoints admit 40 a second, the fast one three of every four.
        // Each answer comes back at once, so only the budgets hold admissions back.
        var waits = Enumerable.Range(0, 400).Select(async i =>
        {
            var a = await pool.AcquireAsync(new BatchCall(ScriptedHandler.Chat("id" + i)), null, null, CancellationToken.None);
            a.Slot.Controller.OnResponse(a.Lease, new BatchResponse { StatusCode = 200 });
            return a;
        }).ToList();
        for (var step = 0; step < 100_000 && waits.Any(w => !w.IsCompleted); step++)
        {
            time.Advance(TimeSpan.FromMilliseconds(5));
            await Task.Yield();
        }

        var admitted = await Task.WhenAll(waits);
        var fast = admitted.Count(a => a.Slot.Name == "fast");
        Assert.InRange(fast / 400.0, 0.68, 0.82);
        Assert.Equal(0, pool.WaitingCount);
        Assert.All(pool.Slots, s => Assert.Equal(0, s.Controller.WaitingCount));
    }

    [Fact]
    public async Task AcquireAsync_EndpointOut_NotOfferedWhileAnotherIsIn()
    {
        var time = new FakeTimeProvider();
        var provider = new ScriptedHandler(ScriptedHandler.Status(200));
        using var pool = new EndpointPool(
            [new BatchEndpoint("a", provider), new BatchEndpoint("b", provider)],
            new BatchOptions(),
            new EndpointHealthOptions { FailureThreshold = 1 },
            time,
            NullLoggerFactory.Instance);
        pool.Slots[0].Health.OnResponse(new BatchResponse { StatusCode = 500 }, probe: false);

        for (var i = 0; i < 20; i++)
        {
            var admission = await pool.AcquireAsync(new BatchCall(ScriptedHandler.Chat("id" + i)), null, null, CancellationToken.None);
            Assert.Equal("b", admission.Slot.Name);
            admission.Slot.Controller.OnResponse(admission.Lease, new BatchResponse { StatusCode = 200 });
        }
    }

    [Fact]
    public async Task AcquireAsync_EndpointWithItsOwnBudget_TakesFromItWithTheEndpointsLimits()
    {
        var time = new FakeTimeProvider();
        var provider = new ScriptedHandler(ScriptedHandler.Status(200));
        CountingBudget? made = null;
        using var pool = new EndpointPool(
            [new BatchEndpoint("shared", provider) { RequestsPerMinute = 900, RateBudget = (options, clock, _) => made = new CountingBudget(new LocalRateBudget(options, clock, null, TimeSpan.Zero)) }],
            new BatchOptions(),
            new EndpointHealthOptions(),
            time,
            NullLoggerFactory.Instance);

        var admission = await pool.AcquireAsync(new BatchCall(ScriptedHandler.Chat()), null, null, CancellationToken.None);
        admission.Slot.Controller.OnResponse(admission.Lease, new BatchResponse { StatusCode = 200 });

        Assert.NotNull(made);
        Assert.Equal(1, made.Takes);
        Assert.Equal(900, pool.Progress()[0].RequestsPerMinuteLimit);
    }

    [Fact]
    public async Task AcquireAsync_TokenBudgetsThatCountPrompts_TheCallKeepsTheCount()
    {
        // Budgets without headroom (as a shared one) have every prompt counted; the stand-in's count reaches the call.
        var time = new FakeTimeProvider();
        var provider = new ScriptedHandler(ScriptedHandler.Status(200));
        Func<BatchOptions, TimeProvider, Microsoft.Extensions.Logging.ILogger, IRateBudget> counting = (options, clock, _) => new CountingBudget(new LocalRateBudget(options, clock, null, TimeSpan.Zero));
        using var pool = new EndpointPool(
            [new BatchEndpoint("a", provider) { TokensPerMinute = 600_000, RateBudget = counting }, new BatchEndpoint("b", provider) { TokensPerMinute = 600_000, RateBudget = counting }],
            new BatchOptions(),
            new EndpointHealthOptions(),
            time,
            NullLoggerFactory.Instance);
        var call = new BatchCall(ScriptedHandler.Chat());

        var admission = await pool.AcquireAsync(call, null, null, CancellationToken.None);
        admission.Slot.Controller.OnResponse(admission.Lease, new BatchResponse { StatusCode = 200 });

        Assert.Equal(TokenCounter.Shared.CountPromptTokens(call.Request), call.EstimatedPromptTokens);
    }

    /// <summary>A budget that counts its takes and otherwise is the one it wraps (a shared one would be in Redis).</summary>
    private sealed class CountingBudget(IRateBudget inner) : IRateBudget
    {
        public int Takes { get; private set; }

        public double? RequestsPerMinute => inner.RequestsPerMinute;

        public double? TokensPerMinute => inner.TokensPerMinute;

        public DateTimeOffset? PausedUntil => inner.PausedUntil;

        public ValueTask<BudgetDecision> TryTakeAsync(long requests, long tokens, long now, CancellationToken cancellationToken)
        {
            Takes++;
            return inner.TryTakeAsync(requests, tokens, now, cancellationToken);
        }

        public ValueTask SettleAsync(BudgetGrant grant, BudgetOutcome outcome, long now, CancellationToken cancellationToken) => inner.SettleAsync(grant, outcome, now, cancellationToken);

        public ValueTask PauseAsync(TimeSpan wait, string reason, long now, CancellationToken cancellationToken) => inner.PauseAsync(wait, reason, now, cancellationToken);

        public void Dispose() => inner.Dispose();
    }
}
