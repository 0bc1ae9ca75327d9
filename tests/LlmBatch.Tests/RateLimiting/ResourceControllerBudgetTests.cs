using System.Collections.Concurrent;
using LlmBatch.RateLimiting;
using Microsoft.Extensions.Time.Testing;
using static LlmBatch.Tests.RateLimiting.RateLimitTestData;

namespace LlmBatch.Tests.RateLimiting;

/// <summary>The controller over a scripted <see cref="IRateBudget"/>: what a shared budget (issue 11) relies on.</summary>
public sealed class ResourceControllerBudgetTests : IDisposable
{
    /// <summary>A bound on waits for answers that arrive on the thread pool; the fake clock decides everything else.</summary>
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(10);

    private readonly WatchedClock _time = new();
    private readonly ScriptedBudget _budget = new();
    private readonly ResourceController _controller;

    public ResourceControllerBudgetTests()
    {
        _controller = new ResourceController(new BatchOptions { Concurrency = 4 }, _time, _budget);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _controller.Dispose();

    private static BudgetGrant Grant(long tokens, long n = 1) => new(1, tokens, n, n * tokens, n);

    [Fact]
    public async Task AcquireAsync_BudgetSaysRetryAfter_AdmissionWaitsExactlyThatLongOnTheClock()
    {
        _budget.Answers.Enqueue(_ => new(BudgetDecision.Wait(TimeSpan.FromMilliseconds(250))));
        _budget.Answers.Enqueue(tokens => new(BudgetDecision.Take(Grant(tokens))));
        var call = Chat();

        var acquire = _controller.AcquireAsync(call, Ct).AsTask();
        _time.Advance(TimeSpan.FromMilliseconds(249));
        Assert.False(acquire.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.True(acquire.IsCompletedSuccessfully);
        Assert.Equal(Grant(110), (await acquire).Grant);
        Assert.Equal(TimeSpan.FromMilliseconds(250), call.LimiterWait);

        // Asked once, then once more when it said: the budget is not polled.
        Assert.Equal<long>([110, 110], _budget.Takes);
    }

    [Fact]
    public async Task AcquireAsync_BudgetAnswersLater_OneTakeInFlightForTheHeadAndTheQueueWaitsBehindIt()
    {
        var first = new TaskCompletionSource<BudgetDecision>(TaskCreationOptions.RunContinuationsAsynchronously);
        _budget.Answers.Enqueue(_ => new(first.Task));
        _budget.Answers.Enqueue(tokens => new(BudgetDecision.Take(Grant(tokens, 2))));

        var head = _controller.AcquireAsync(Chat(promptTokens: 10), Ct).AsTask();
        var next = _controller.AcquireAsync(Chat(promptTokens: 20), Ct).AsTask();
        Assert.False(head.IsCompleted);
        Assert.False(next.IsCompleted);
        Assert.Equal<long>([110], _budget.Takes);

        first.SetResult(BudgetDecision.Take(Grant(110)));

        Assert.Equal(Grant(110), (await head.WaitAsync(s_bound, Ct)).Grant);
        Assert.Equal(Grant(120, 2), (await next.WaitAsync(s_bound, Ct)).Grant);
        Assert.Equal<long>([110, 120], _budget.Takes);
    }

    [Fact]
    public async Task AcquireAsync_BudgetAnswersLaterWithAWait_NotAskedAgainBeforeIt()
    {
        var first = new TaskCompletionSource<BudgetDecision>(TaskCreationOptions.RunContinuationsAsynchronously);
        _budget.Answers.Enqueue(_ => new(first.Task));
        _budget.Answers.Enqueue(tokens => new(BudgetDecision.Take(Grant(tokens))));
        var acquire = _controller.AcquireAsync(Chat(), Ct).AsTask();

        first.SetResult(BudgetDecision.Wait(TimeSpan.FromSeconds(1)));
        Assert.True(await _time.Armed.WaitAsync(s_bound, Ct), "The queue's timer was never set for the budget's wait.");

        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Single(_budget.Takes);
        _time.Advance(TimeSpan.FromMilliseconds(1));

        await acquire.WaitAsync(s_bound, Ct);
        Assert.Equal(2, _budget.Takes.Count);
    }

    [Fact]
    public async Task AcquireAsync_TakeFails_TheHeadFailsWithItsErrorAndTheNextIsAsked()
    {
        _budget.Answers.Enqueue(_ => new(Task.FromException<BudgetDecision>(new InvalidOperationException("store down"))));
        _budget.Answers.Enqueue(tokens => new(BudgetDecision.Take(Grant(tokens))));

        var head = _controller.AcquireAsync(Chat(), Ct).AsTask();
        var next = _controller.AcquireAsync(Chat(), Ct).AsTask();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => head.WaitAsync(s_bound, Ct));
        Assert.Equal("store down", error.Message);
        await next.WaitAsync(s_bound, Ct);
    }

    [Fact]
    public async Task AcquireAsync_HeadCancelledWhileTheBudgetAnswers_ItsGrantGoesBackAndTheNextHeadAsksForItsOwn()
    {
        var first = new TaskCompletionSource<BudgetDecision>(TaskCreationOptions.RunContinuationsAsynchronously);
        _budget.Answers.Enqueue(_ => new(first.Task));
        _budget.Answers.Enqueue(tokens => new(BudgetDecision.Take(Grant(tokens, 2))));
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var head = _controller.AcquireAsync(Chat(promptTokens: 10), cancel.Token).AsTask();
        var next = _controller.AcquireAsync(Chat(promptTokens: 20), Ct).AsTask();

        await cancel.CancelAsync();
        first.SetResult(BudgetDecision.Take(Grant(110)));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => head);
        Assert.Equal(Grant(120, 2), (await next.WaitAsync(s_bound, Ct)).Grant);
        var (grant, outcome) = Assert.Single(_budget.Settlements);
        Assert.Equal(Grant(110), grant);
        Assert.Equal(BudgetOutcome.NotSent, outcome);
    }

    [Fact]
    public async Task OnResponse_SettlesTheGrantWithTheUsageAndPausesTheBudgetOnARetryAfter()
    {
        for (var n = 1; n <= 3; n++)
        {
            var nth = n;
            _budget.Answers.Enqueue(tokens => new(BudgetDecision.Take(Grant(tokens, nth))));
        }

        var ok = await _controller.AcquireAsync(Chat(), Ct);
        var refused = await _controller.AcquireAsync(Chat(), Ct);
        var lost = await _controller.AcquireAsync(Chat(), Ct);

        _controller.OnResponse(ok, Ok(promptTokens: 30, completionTokens: 20));
        _controller.OnResponse(refused, TooMany(new RateLimitHeaders { RemainingRequests = 0, RetryAfter = TimeSpan.FromSeconds(2) }));
        _controller.OnFailure(lost);

        Assert.Collection(
            _budget.Settlements,
            s => Assert.Equal((Grant(110), 50L, true), (s.Grant, s.Outcome.ActualTokens, s.Outcome.TokensCharged)),
            s => Assert.Equal((Grant(110, 2), ThrottleKind.RateLimited, RateLimitScope.Requests, false), (s.Grant, s.Outcome.Kind, s.Outcome.Scope, s.Outcome.TokensCharged)),
            s => Assert.Equal((Grant(110, 3), BudgetOutcome.NoAnswer), s));
        Assert.Equal((TimeSpan.FromSeconds(2), "Rate limited (429)"), Assert.Single(_budget.Pauses));
    }

    [Fact]
    public void Limits_AndPause_ReadFromTheBudget_AndDisposeDisposesIt()
    {
        _budget.RequestsPerMinute = 500;
        _budget.PausedUntil = _time.GetUtcNow().AddSeconds(3);

        Assert.Equal(500, _controller.RequestsPerMinuteLimit);
        Assert.Null(_controller.TokensPerMinuteLimit);
        Assert.Equal(_budget.PausedUntil, _controller.PausedUntil);

        _controller.Dispose();
        Assert.True(_budget.Disposed);
    }

    /// <summary>A budget that answers takes from a script and records every call.</summary>
    private sealed class ScriptedBudget : IRateBudget
    {
        public ConcurrentQueue<Func<long, ValueTask<BudgetDecision>>> Answers { get; } = new();

        public List<long> Takes { get; } = [];

        public List<(BudgetGrant Grant, BudgetOutcome Outcome)> Settlements { get; } = [];

        public List<(TimeSpan Wait, string Reason)> Pauses { get; } = [];

        public bool Disposed { get; private set; }

        public double? RequestsPerMinute { get; set; }

        public double? TokensPerMinute { get; set; }

        public DateTimeOffset? PausedUntil { get; set; }

        public ValueTask<BudgetDecision> TryTakeAsync(long requests, long tokens, long now, CancellationToken cancellationToken)
        {
            Assert.Equal(1, requests);
            lock (Takes)
            {
                Takes.Add(tokens);
            }

            Assert.True(Answers.TryDequeue(out var answer), "The budget was asked more often than the script says.");
            return answer(tokens);
        }

        public ValueTask SettleAsync(BudgetGrant grant, BudgetOutcome outcome, long now, CancellationToken cancellationToken)
        {
            Settlements.Add((grant, outcome));
            return default;
        }

        public ValueTask PauseAsync(TimeSpan wait, string reason, long now, CancellationToken cancellationToken)
        {
            Pauses.Add((wait, reason));
            return default;
        }

        public void Dispose() => Disposed = true;
    }

    /// <summary>A fake clock that says when a timer is set, so that a test advances it only after the controller armed its wait.</summary>
    private sealed class WatchedClock : FakeTimeProvider
    {
        public SemaphoreSlim Armed { get; } = new(0);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            new WatchedTimer(base.CreateTimer(callback, state, dueTime, period), Armed);

        private sealed class WatchedTimer(ITimer inner, SemaphoreSlim armed) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                var changed = inner.Change(dueTime, period);
                if (dueTime != Timeout.InfiniteTimeSpan)
                {
                    armed.Release();
                }

                return changed;
            }

            public void Dispose() => inner.Dispose();

            public ValueTask DisposeAsync() => inner.DisposeAsync();
        }
    }
}
