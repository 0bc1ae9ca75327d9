using LlmBatch.RateLimiting;
using Microsoft.Extensions.Time.Testing;
using static LlmBatch.Tests.RateLimiting.RateLimitTestData;

namespace LlmBatch.Tests.RateLimiting;

public sealed class LocalRateBudgetTests : IDisposable
{
    private static readonly TimeSpan s_jitter = TimeSpan.FromMilliseconds(50);

    private readonly FakeTimeProvider _time = new();
    private readonly List<LocalRateBudget> _budgets = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        foreach (var b in _budgets)
        {
            b.Dispose();
        }
    }

    private LocalRateBudget Budget(BatchOptions options)
    {
        var budget = new LocalRateBudget(options, _time, logger: null, s_jitter);
        _budgets.Add(budget);
        return budget;
    }

    /// <summary>Every call of the in-process budget completes at once: reading the result never blocks.</summary>
    private static BudgetDecision Now(ValueTask<BudgetDecision> pending)
    {
        Assert.True(pending.IsCompletedSuccessfully, "The in-process budget must answer at once.");
#pragma warning disable CA2012 // Completion was just asserted.
        return pending.Result;
#pragma warning restore CA2012
    }

    private static void Done(ValueTask pending)
    {
        Assert.True(pending.IsCompletedSuccessfully, "The in-process budget must answer at once.");
        pending.GetAwaiter().GetResult();
    }

    private BudgetGrant Take(IRateBudget budget, long tokens = 0)
    {
        var decision = Now(budget.TryTakeAsync(1, tokens, _time.GetTimestamp(), Ct));
        Assert.True(decision.Granted);
        return decision.Grant;
    }

    [Fact]
    public void TryTakeAsync_RequestFlag_GrantsTheBurstThenSaysWhenToRetry()
    {
        // 10 a second: a bucket of 10 less 50 ms of refill (9.5), so 9 at once and the next 50 ms later.
        var budget = Budget(Options(rpm: 600));
        for (var i = 0; i < 9; i++)
        {
            Take(budget);
        }

        var refused = Now(budget.TryTakeAsync(1, 0, _time.GetTimestamp(), Ct));
        Assert.False(refused.Granted);
        Assert.Equal(TimeSpan.FromMilliseconds(50), refused.RetryAfter);

        _time.Advance(refused.RetryAfter);
        var grant = Take(budget);
        Assert.Equal(10, grant.RequestsDispatched);
        Assert.Equal(600, budget.RequestsPerMinute);
        Assert.Null(budget.TokensPerMinute);
    }

    [Fact]
    public void TryTakeAsync_NoLimitKnown_GrantsEverythingAndCountsIt()
    {
        var budget = Budget(Options());
        Take(budget, 100);
        var grant = Take(budget, 50);

        Assert.Equal(new BudgetGrant(1, 50, 2, 150, _time.GetTimestamp()), grant);
        Assert.Null(budget.RequestsPerMinute);
        Assert.Null(budget.TokensPerMinute);
    }

    [Fact]
    public void TryTakeAsync_TokensShort_RetryAfterIsTheirRefillAndNothingIsTaken()
    {
        // 1,000 tokens a second, a bucket of 950: 600 leave 350, and 600 more need 250 ms of refill.
        var budget = Budget(Options(rpm: 6000, tpm: 60_000, learn: false));
        Take(budget, 600);

        var refused = Now(budget.TryTakeAsync(1, 600, _time.GetTimestamp(), Ct));

        Assert.False(refused.Granted);
        Assert.Equal(TimeSpan.FromMilliseconds(250), refused.RetryAfter);
        Assert.Equal(2, Take(budget, 350).RequestsDispatched);
    }

    [Fact]
    public void SettleAsync_UsageBelowTheEstimate_RefundsTheDifference()
    {
        var budget = Budget(Options(tpm: 60_000, learn: false));
        var grant = Take(budget, 600);
        Assert.False(Now(budget.TryTakeAsync(1, 600, _time.GetTimestamp(), Ct)).Granted);

        Done(budget.SettleAsync(grant, BudgetOutcome.Answered(Ok(promptTokens: 100, completionTokens: 50), ThrottleKind.None, RateLimitScope.Unknown, 150), _time.GetTimestamp(), Ct));

        Take(budget, 600);
    }

    [Fact]
    public void SettleAsync_ServerReportsRemainingTokens_NoLocalRefund()
    {
        // The server keeps its own books (OpenAI charges max_tokens and refunds nothing): 350 left, not 800.
        var budget = Budget(Options(tpm: 60_000));
        var grant = Take(budget, 600);
        var answer = Ok(new RateLimitHeaders { LimitTokens = 60_000, RemainingTokens = 700 }, promptTokens: 100, completionTokens: 50);

        Done(budget.SettleAsync(grant, BudgetOutcome.Answered(answer, ThrottleKind.None, RateLimitScope.Unknown, 150), _time.GetTimestamp(), Ct));

        Assert.False(Now(budget.TryTakeAsync(1, 600, _time.GetTimestamp(), Ct)).Granted);
    }

    [Fact]
    public void SettleAsync_UsageAboveTheEstimate_ChargesTheOverrun()
    {
        // 200 reserved, 900 used: the level drops from 750 to 50, so 600 more wait 550 ms.
        var budget = Budget(Options(tpm: 60_000, learn: false));
        var grant = Take(budget, 200);

        Done(budget.SettleAsync(grant, BudgetOutcome.Answered(Ok(), ThrottleKind.None, RateLimitScope.Unknown, 900), _time.GetTimestamp(), Ct));

        Assert.Equal(TimeSpan.FromMilliseconds(550), Now(budget.TryTakeAsync(1, 600, _time.GetTimestamp(), Ct)).RetryAfter);
    }

    [Fact]
    public void SettleAsync_NotSent_GivesTheRequestAndTheTokensBack()
    {
        var budget = Budget(Options(rpm: 600, tpm: 60_000, learn: false));
        BudgetGrant last = default;
        for (var i = 0; i < 9; i++)
        {
            last = Take(budget, 100);
        }

        Assert.False(Now(budget.TryTakeAsync(1, 100, _time.GetTimestamp(), Ct)).Granted);

        Done(budget.SettleAsync(last, BudgetOutcome.NotSent, _time.GetTimestamp(), Ct));

        Take(budget, 100);
    }

    [Fact]
    public void SettleAsync_NoAnswer_TheReservationStaysCharged()
    {
        var budget = Budget(Options(tpm: 60_000, learn: false));
        var grant = Take(budget, 600);

        Done(budget.SettleAsync(grant, BudgetOutcome.NoAnswer, _time.GetTimestamp(), Ct));

        Assert.False(Now(budget.TryTakeAsync(1, 600, _time.GetTimestamp(), Ct)).Granted);
    }

    [Fact]
    public void SettleAsync_LimitHeaders_LearnsTheLimits()
    {
        var budget = Budget(Options());
        var grant = Take(budget, 100);
        var answer = Ok(new RateLimitHeaders { LimitRequests = 3_000, RemainingRequests = 2_999, LimitTokens = 1_000_000, RemainingTokens = 999_900 });

        Done(budget.SettleAsync(grant, BudgetOutcome.Answered(answer, ThrottleKind.None, RateLimitScope.Unknown, 100), _time.GetTimestamp(), Ct));

        Assert.Equal(3_000, budget.RequestsPerMinute!.Value, 1e-6);
        Assert.Equal(1_000_000, budget.TokensPerMinute!.Value, 1e-6);
    }

    [Fact]
    public void SettleAsync_RequestBudget429_TokensComeBackAndTheRequestBudgetIsCut()
    {
        var budget = Budget(Options(rpm: 600, tpm: 60_000));
        var grant = Take(budget, 900);
        var answer = TooMany(new RateLimitHeaders { RemainingRequests = 0 });

        Done(budget.SettleAsync(grant, BudgetOutcome.Answered(answer, ThrottleKind.RateLimited, RateLimitScope.Requests, -1), _time.GetTimestamp(), Ct));

        Assert.True(budget.RequestsPerMinute < 600);
        Assert.Equal(60_000, budget.TokensPerMinute);
        Assert.True(Now(budget.TryTakeAsync(0, 900, _time.GetTimestamp(), Ct)).Granted);
    }

    [Fact]
    public void PauseAsync_HoldsEveryTakeUntilItEnds_AndAShorterWaitDoesNotShortenIt()
    {
        var budget = Budget(Options());
        var start = _time.GetUtcNow();

        Done(budget.PauseAsync(TimeSpan.FromSeconds(2), "test", _time.GetTimestamp(), Ct));
        Done(budget.PauseAsync(TimeSpan.FromSeconds(1), "test", _time.GetTimestamp(), Ct));

        Assert.Equal(start + TimeSpan.FromSeconds(2), budget.PausedUntil);
        Assert.Equal(TimeSpan.FromSeconds(2), Now(budget.TryTakeAsync(1, 0, _time.GetTimestamp(), Ct)).RetryAfter);
        _time.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.Equal(TimeSpan.FromMilliseconds(1), Now(budget.TryTakeAsync(1, 0, _time.GetTimestamp(), Ct)).RetryAfter);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Null(budget.PausedUntil);
        Take(budget);
    }
}
