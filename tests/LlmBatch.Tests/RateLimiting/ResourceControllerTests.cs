using Microsoft.Extensions.Time.Testing;
using static LlmBatch.Tests.RateLimiting.RateLimitTestData;
using LlmBatch.Providers;
using LlmBatch.RateLimiting;

namespace LlmBatch.Tests.RateLimiting;

public sealed class ResourceControllerTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly List<ResourceController> _controllers = [];

    public void Dispose()
    {
        foreach (var c in _controllers)
        {
            c.Dispose();
        }
    }

    private ResourceController Controller(BatchOptions options)
    {
        // The arithmetic in these tests assumes a 50 ms jitter allowance.
        var controller = new ResourceController(options, _time, jitterAllowance: TimeSpan.FromMilliseconds(50));
        _controllers.Add(controller);
        return controller;
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static RateLease Granted(ValueTask<RateLease> pending)
    {
        Assert.True(pending.IsCompletedSuccessfully, "The lease was expected to be granted already.");
#pragma warning disable CA2012 // Completion was just asserted, so reading the result cannot block.
        return pending.Result;
#pragma warning restore CA2012
    }

    private static RateLease Granted(Task<RateLease> pending)
    {
        Assert.True(pending.IsCompletedSuccessfully, "The lease was expected to be granted already.");
        return pending.GetAwaiter().GetResult();
    }

    /// <summary>Acquires until one would have to wait; that one is cancelled, so it leaves nothing queued.</summary>
    private static int AcquireUntilBlocked(ResourceController controller, int max, Func<BatchCall>? call = null)
    {
        for (var i = 0; i < max; i++)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            var task = controller.AcquireAsync(call?.Invoke() ?? Chat(), cts.Token).AsTask();
            if (!task.IsCompleted)
            {
                cts.Cancel();
                Assert.True(task.IsCanceled);
                return i;
            }
        }

        return max;
    }

    [Fact]
    public void AcquireAsync_RequestFlag_AdmitsOneSecondBurstLessJitterAllowanceThenPacesAtTheRate()
    {
        var controller = Controller(Options(rpm: 600));

        // 10 a second: a bucket of 10 less 50 ms of refill (9.5), so 9 at once and the next 50 ms later.
        Assert.Equal(9, AcquireUntilBlocked(controller, 100));
        var next = controller.AcquireAsync(Chat(), Ct).AsTask();

        _time.Advance(TimeSpan.FromMilliseconds(49));
        Assert.False(next.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(next.IsCompletedSuccessfully);
        var after = controller.AcquireAsync(Chat(), Ct).AsTask();
        _time.Advance(TimeSpan.FromMilliseconds(99));
        Assert.False(after.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(after.IsCompletedSuccessfully);
        Assert.True(next.IsCompletedSuccessfully);
        Assert.Equal(600, controller.RequestsPerMinuteLimit);
        Assert.Null(controller.TokensPerMinuteLimit);
    }

    [Fact]
    public async Task StopAdmitting_WaitersAndLaterAcquires_RefusedUntilResumed()
    {
        var controller = Controller(Options(rpm: 600));
        AcquireUntilBlocked(controller, 100);
        var waiting = controller.AcquireAsync(Chat(), Ct).AsTask();
        Assert.False(waiting.IsCompleted);

        controller.StopAdmitting();

        await Assert.ThrowsAsync<DispatchStoppedException>(() => waiting);
        Assert.Equal(0, controller.WaitingCount);
        await Assert.ThrowsAsync<DispatchStoppedException>(() => controller.AcquireAsync(Chat(), Ct).AsTask());

        controller.ResumeAdmitting();
        _time.Advance(TimeSpan.FromSeconds(1));
        await controller.AcquireAsync(Chat(), Ct);
    }

    [Fact]
    public void AcquireAsync_DefaultAllowance_BurstIsOneSecondLess150Milliseconds()
    {
        using var controller = new ResourceController(Options(rpm: 6000), _time);

        // 100 a second: a bucket of 100 less 150 ms of refill (85).
        Assert.Equal(85, AcquireUntilBlocked(controller, 1000));
    }

    [Fact]
    public async Task AcquireAsync_ChatAndEmbedding_ReservesPromptPlusMaxTokensOrPromptOnly()
    {
        var controller = Controller(new BatchOptions { TokensPerMinute = 6_000_000, DefaultMaxOutputTokens = 256 });
        var withMax = Chat(promptTokens: 40, maxTokens: 500);
        var withoutMax = Chat(promptTokens: 40, maxTokens: null);
        var embedding = Embedding(promptTokens: 40);

        var lease1 = await controller.AcquireAsync(withMax, Ct);
        var lease2 = await controller.AcquireAsync(withoutMax, Ct);
        var lease3 = await controller.AcquireAsync(embedding, Ct);

        Assert.Equal(540, withMax.ReservedTokens);
        Assert.Equal(540, lease1.Tokens);
        Assert.Equal(296, withoutMax.ReservedTokens);
        Assert.Equal(296, lease2.Tokens);
        Assert.Equal(40, embedding.ReservedTokens);
        Assert.Equal(40, lease3.Tokens);
    }

    [Fact]
    public void OnResponse_UsageBelowReservation_RefundsAndAdmitsTheWaiter()
    {
        // 60,000 per minute: 1,000 per second, a bucket of 1,000.
        var controller = Controller(Options(tpm: 60_000, learn: false));
        var first = controller.AcquireAsync(Chat(promptTokens: 100, maxTokens: 500), Ct);
        Assert.True(first.IsCompleted);
        var second = controller.AcquireAsync(Chat(promptTokens: 100, maxTokens: 500), Ct).AsTask();
        Assert.False(second.IsCompleted);

        controller.OnResponse(Granted(first), Ok(promptTokens: 100, completionTokens: 50));

        Assert.True(second.IsCompletedSuccessfully);
    }

    [Fact]
    public void OnResponse_ServerReportsRemainingTokens_NoLocalRefund()
    {
        // 60,000 per minute with flags only (learning off would ignore the headers): the server's word governs.
        var controller = Controller(Options(tpm: 60_000));
        var first = controller.AcquireAsync(Chat(promptTokens: 100, maxTokens: 500), Ct);
        Assert.True(first.IsCompleted);
        var second = controller.AcquireAsync(Chat(promptTokens: 100, maxTokens: 500), Ct).AsTask();
        Assert.False(second.IsCompleted);

        // Only 150 of 600 used. A local refund of the other 450 would lift the level from 350 to 800, and a reported
        // 700 left would then cap it at 700, enough for the second; without the refund the level stays at 350.
        controller.OnResponse(Granted(first), Ok(new RateLimitHeaders { LimitTokens = 60_000, RemainingTokens = 700 }, promptTokens: 100, completionTokens: 50));

        Assert.False(second.IsCompleted);
    }

    [Fact]
    public void OnResponse_UsageAboveReservation_ChargesTheOverrun()
    {
        var controller = Controller(Options(tpm: 60_000, learn: false));
        var first = controller.AcquireAsync(Chat(promptTokens: 100, maxTokens: 100), Ct);

        // Used 900 of a 200 reservation: the level drops from 750 (of 950) to 50, so 600 more take 0.55 s of refill.
        controller.OnResponse(Granted(first), Ok(promptTokens: 100, completionTokens: 800));
        var second = controller.AcquireAsync(Chat(promptTokens: 100, maxTokens: 500), Ct).AsTask();

        _time.Advance(TimeSpan.FromMilliseconds(549));
        Assert.False(second.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(2));
        Assert.True(second.IsCompletedSuccessfully);
    }

    [Fact]
    public void OnResponse_ErrorStatusWithUsage_DoesNotSettle()
    {
        var controller = Controller(Options(tpm: 60_000, learn: false));
        var first = controller.AcquireAsync(Chat(promptTokens: 100, maxTokens: 500), Ct);
        var second = controller.AcquireAsync(Chat(promptTokens: 100, maxTokens: 500), Ct).AsTask();

        controller.OnResponse(Granted(first), new BatchResponse { StatusCode = 500, Body = """{"usage":{"prompt_tokens":1}}"""u8.ToArray() });

        Assert.False(second.IsCompleted);
    }

    [Fact]
    public void AcquireAsync_RequestLargerThanTheBucket_AdmittedWhenFullThenDebtDelaysTheNext()
    {
        var controller = Controller(Options(tpm: 60_000, learn: false));
        var small = controller.AcquireAsync(Chat(promptTokens: 10, maxTokens: 0), Ct);
        Assert.True(small.IsCompleted);

        var huge = controller.AcquireAsync(Chat(promptTokens: 5_000, maxTokens: 0), Ct).AsTask();
        Assert.False(huge.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(11));
        Assert.True(huge.IsCompletedSuccessfully);

        // The level is now about -4,000: one more token needs about 4 s of refill.
        var next = controller.AcquireAsync(Chat(promptTokens: 1, maxTokens: 0), Ct).AsTask();
        _time.Advance(TimeSpan.FromSeconds(3.9));
        Assert.False(next.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(0.2));
        Assert.True(next.IsCompletedSuccessfully);
    }

    [Fact]
    public void OnResponse_RequestLargerThanTheBucketRefusedWith400_DebtIsReleased()
    {
        // 60,000 TPM is 1,000 a second; a 5,000-token request goes into debt when the bucket is full, and the server
        // refuses it (a prompt over the context window): nothing was charged, so the next request must not wait 4 s.
        var controller = Controller(Options(tpm: 60_000, learn: false));
        var huge = Granted(controller.AcquireAsync(Chat(promptTokens: 5_000, maxTokens: 0), Ct));

        controller.OnResponse(huge, new BatchResponse { StatusCode = 400, Body = """{"error":{"message":"context_length_exceeded","type":"invalid_request_error"}}"""u8.ToArray() });

        Assert.True(controller.AcquireAsync(Chat(promptTokens: 10, maxTokens: 0), Ct).AsTask().IsCompletedSuccessfully);
    }

    [Fact]
    public void OnResponse_RequestBudget429_TokensReservedComeBack()
    {
        var controller = Controller(Options(tpm: 60_000, learn: false));
        var lease = Granted(controller.AcquireAsync(Chat(promptTokens: 900, maxTokens: 0), Ct));

        controller.OnResponse(lease, TooMany(new RateLimitHeaders { RetryAfter = TimeSpan.FromMilliseconds(1), RemainingRequests = 0 }));
        _time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.True(controller.AcquireAsync(Chat(promptTokens: 900, maxTokens: 0), Ct).AsTask().IsCompletedSuccessfully);
    }

    [Fact]
    public void OnResponse_HeaderLimitAboveFlag_FlagStaysTheUpperBound()
    {
        var controller = Controller(Options(rpm: 600, tpm: 100_000));
        var lease = Granted(controller.AcquireAsync(Chat(), Ct));

        controller.OnResponse(lease, Ok(new RateLimitHeaders { LimitRequests = 10_000, LimitTokens = 2_000_000 }));

        Assert.Equal(600, controller.RequestsPerMinuteLimit);
        Assert.Equal(100_000, controller.TokensPerMinuteLimit);
    }

    [Fact]
    public void OnResponse_HeaderLimitBelowFlag_HeaderLowersTheBudget()
    {
        var controller = Controller(Options(rpm: 600));
        var lease = Granted(controller.AcquireAsync(Chat(), Ct));

        controller.OnResponse(lease, Ok(new RateLimitHeaders { LimitRequests = 300 }));

        Assert.Equal(300, controller.RequestsPerMinuteLimit);
    }

    [Fact]
    public void OnResponse_LearningDisabled_IgnoresHeaders()
    {
        var controller = Controller(Options(rpm: 600, learn: false));
        var lease = Granted(controller.AcquireAsync(Chat(), Ct));

        controller.OnResponse(lease, Ok(new RateLimitHeaders { LimitRequests = 60, RemainingRequests = 0 }));

        Assert.Equal(600, controller.RequestsPerMinuteLimit);
        Assert.Equal(8, AcquireUntilBlocked(controller, 100));
    }

    [Fact]
    public void OnResponse_NoFlags_LearnsTheRateAndStartsWithAQuarterSecondBurst()
    {
        var controller = Controller(Options());
        var first = Granted(controller.AcquireAsync(Chat(promptTokens: 100, maxTokens: 500), Ct));
        Assert.Null(controller.RequestsPerMinuteLimit);

        // Per-minute headers: the remaining counts are a minute's budget, not a burst the server accepts at once.
        controller.OnResponse(first, Ok(new RateLimitHeaders
        {
            LimitRequests = 6_000,
            RemainingRequests = 5_999,
            ResetRequests = TimeSpan.FromMilliseconds(10),
            LimitTokens = 600_000,
            RemainingTokens = 599_400,
            ResetTokens = TimeSpan.FromMilliseconds(60),
        }));

        Assert.Equal(6_000, controller.RequestsPerMinuteLimit);
        Assert.Equal(600_000, controller.TokensPerMinuteLimit);

        // A quarter second of each: 25 requests and 2,500 tokens, so 4 requests of 600 tokens go at once.
        Assert.Equal(4, AcquireUntilBlocked(controller, 200, () => Chat(promptTokens: 100, maxTokens: 500)));
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(25, AcquireUntilBlocked(controller, 200, () => Chat(promptTokens: 1, maxTokens: 0)));
    }

    [Fact]
    public void OnResponse_QuietAnswers_BurstGrowsBackToASecondLessTheAllowance()
    {
        var controller = Controller(Options());
        var headers = new RateLimitHeaders { LimitRequests = 6_000, RemainingRequests = 5_999, ResetRequests = TimeSpan.FromMilliseconds(10) };
        controller.OnResponse(Granted(controller.AcquireAsync(Chat(), Ct)), Ok(headers));

        // One answer every second for a minute, no 429: the burst grows a quarter every two seconds up to its cap.
        for (var i = 0; i < 60; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            controller.OnResponse(Granted(controller.AcquireAsync(Chat(), Ct)), Ok(headers));
        }

        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(95, AcquireUntilBlocked(controller, 200));
    }

    [Fact]
    public void OnResponse_TooManyRequestsWhileHeadersShowBudget_HalvesTheBurstAndEmptiesTheBucket()
    {
        var controller = Controller(Options());
        var headers = new RateLimitHeaders { LimitRequests = 6_000, RemainingRequests = 5_000, ResetRequests = TimeSpan.FromSeconds(10) };
        controller.OnResponse(Granted(controller.AcquireAsync(Chat(), Ct)), Ok(headers));
        var refused = Granted(controller.AcquireAsync(Chat(), Ct));

        // The per-minute headers still claim 5,000 left: a shorter window refused it.
        controller.OnResponse(refused, TooMany(headers));

        Assert.Null(controller.PausedUntil);
        Assert.Equal(0, AcquireUntilBlocked(controller, 10));
        // Half the quarter second, at the rate less the 5 % margin a 429 costs: 95 × 0.125 = 11.9.
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(11, AcquireUntilBlocked(controller, 100));
        Assert.Equal(5_700, controller.RequestsPerMinuteLimit!.Value, tolerance: 1);
    }

    [Fact]
    public void OnResponse_HeadersDescribeASmallBucket_BurstCappedAtItsMeasuredCapacity()
    {
        var controller = Controller(Options());
        var headers = new RateLimitHeaders { LimitRequests = 6_000, RemainingRequests = 49, ResetRequests = TimeSpan.FromMilliseconds(10) };

        // Remaining plus refill until full is 50: half a second of the rate, whatever the burst grows to.
        for (var i = 0; i < 60; i++)
        {
            controller.OnResponse(Granted(controller.AcquireAsync(Chat(), Ct)), Ok(headers));
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        _time.Advance(TimeSpan.FromSeconds(5));

        // Measured 50; the client keeps 50 ms of refill (5) in hand for jitter.
        Assert.Equal(45, AcquireUntilBlocked(controller, 200));
    }

    [Fact]
    public void OnResponse_RemainingBelowBelief_CorrectsTheLevelForWhatWasSentSince()
    {
        var controller = Controller(Options(rpm: 6_000));
        var first = Granted(controller.AcquireAsync(Chat(), Ct));
        Assert.Equal(9, AcquireUntilBlocked(controller, 9));

        // The server had 20 left after the first; 9 were sent after it, so it has 11 for us now (we believed 90).
        controller.OnResponse(first, Ok(new RateLimitHeaders { LimitRequests = 6_000, RemainingRequests = 20 }));

        Assert.Equal(11, AcquireUntilBlocked(controller, 100));
    }

    [Fact]
    public void OnResponse_StaleRemaining_CountsTheServersRefillSinceTheRequest()
    {
        var controller = Controller(Options(rpm: 6_000));
        var first = Granted(controller.AcquireAsync(Chat(), Ct));
        Assert.Equal(94, AcquireUntilBlocked(controller, 200));
        _time.Advance(TimeSpan.FromMilliseconds(500));

        // Remaining 0 half a second ago: 50 refilled since, 94 sent after it, so the server may be 44 in debt.
        controller.OnResponse(first, Ok(new RateLimitHeaders { LimitRequests = 6_000, RemainingRequests = 0 }));

        var next = controller.AcquireAsync(Chat(), Ct).AsTask();
        _time.Advance(TimeSpan.FromMilliseconds(445));
        Assert.False(next.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(6));
        Assert.True(next.IsCompletedSuccessfully);
    }

    [Fact]
    public void OnResponse_TooManyRequests_PausesEveryAcquirerUntilRetryAfterPasses()
    {
        var controller = Controller(Options(learn: false));
        var lease = Granted(controller.AcquireAsync(Chat(), Ct));

        controller.OnResponse(lease, TooMany(new RateLimitHeaders { RetryAfter = TimeSpan.FromSeconds(2), RemainingRequests = 0 }));

        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromSeconds(2), controller.PausedUntil);
        var waiting = Enumerable.Range(0, 5).Select(i => controller.AcquireAsync(Chat($"w{i}"), Ct).AsTask()).ToArray();
        Assert.Equal(5, controller.WaitingCount);
        _time.Advance(TimeSpan.FromMilliseconds(1_999));
        Assert.All(waiting, t => Assert.False(t.IsCompleted));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.All(waiting, t => Assert.True(t.IsCompletedSuccessfully));
        Assert.Equal(0, controller.WaitingCount);
        Assert.Null(controller.PausedUntil);
    }

    [Fact]
    public void OnResponse_TooManyRequestsWithExhaustedBudgetButNoWait_PausesForOneSecond()
    {
        var controller = Controller(Options(learn: false));
        var lease = Granted(controller.AcquireAsync(Chat(), Ct));

        controller.OnResponse(lease, TooMany(new RateLimitHeaders { LimitRequests = 600, RemainingRequests = 0 }));

        var waiter = controller.AcquireAsync(Chat(), Ct).AsTask();
        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(waiter.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(waiter.IsCompletedSuccessfully);
    }

    [Fact]
    public void OnResponse_TooManyRequestsWithoutAnyHeader_IsOverloadCutsConcurrencyWithoutPausing()
    {
        // TGI past max_concurrent_requests: a 429 with no rate-limit header at all, answered at once.
        var controller = Controller(Options());
        var leases = Enumerable.Range(0, 16).Select(_ => Granted(controller.AcquireAsync(Chat(), Ct))).ToArray();
        Assert.Equal(16, controller.ConcurrencyLimit);

        controller.OnResponse(leases[^1], TooMany());

        Assert.Null(controller.PausedUntil);
        Assert.Equal(14, controller.ConcurrencyLimit);
    }

    [Fact]
    public void OnResponse_TooManyRequestsWithResetHeaders_PausesUntilTheExhaustedBudgetResets()
    {
        var controller = Controller(Options(learn: false));
        var lease = Granted(controller.AcquireAsync(Chat(promptTokens: 100, maxTokens: 100), Ct));

        // Requests remain; tokens (50 < 200) are what ran out, so their reset is the one that counts.
        controller.OnResponse(lease, TooMany(new RateLimitHeaders
        {
            RemainingRequests = 10,
            ResetRequests = TimeSpan.FromMilliseconds(100),
            RemainingTokens = 50,
            ResetTokens = TimeSpan.FromMilliseconds(700),
        }));

        var waiter = controller.AcquireAsync(Chat(), Ct).AsTask();
        _time.Advance(TimeSpan.FromMilliseconds(699));
        Assert.False(waiter.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(waiter.IsCompletedSuccessfully);
    }

    [Fact]
    public void OnResponse_SecondTooManyRequestsWithShorterWait_DoesNotShortenThePause()
    {
        var controller = Controller(Options(learn: false));
        var a = Granted(controller.AcquireAsync(Chat(), Ct));
        var b = Granted(controller.AcquireAsync(Chat(), Ct));

        controller.OnResponse(a, TooMany(new RateLimitHeaders { RetryAfter = TimeSpan.FromSeconds(3) }));
        controller.OnResponse(b, TooMany(new RateLimitHeaders { RetryAfter = TimeSpan.FromSeconds(1) }));

        var waiter = controller.AcquireAsync(Chat(), Ct).AsTask();
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.False(waiter.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(waiter.IsCompletedSuccessfully);
    }

    [Fact]
    public void AcquireAsync_SeveralWaiters_AdmittedInArrivalOrder()
    {
        var controller = Controller(Options(rpm: 60));
        Assert.Equal(1, AcquireUntilBlocked(controller, 1));
        var calls = Enumerable.Range(0, 4).Select(i => Chat($"w{i}")).ToArray();
        var tasks = calls.Select(c => controller.AcquireAsync(c, Ct).AsTask()).ToArray();

        for (var i = 0; i < tasks.Length; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            for (var j = 0; j < tasks.Length; j++)
            {
                Assert.Equal(j <= i, tasks[j].IsCompleted);
            }

            Assert.Equal(i + 1, calls[i].LimiterWait.TotalSeconds, tolerance: 0.001);
        }
    }

    [Fact]
    public void AcquireAsync_LargeRequestAtTheHead_SmallerOneBehindItWaitsItsTurn()
    {
        var controller = Controller(Options(tpm: 60_000, learn: false));
        _ = Granted(controller.AcquireAsync(Chat(promptTokens: 900, maxTokens: 0), Ct));
        var large = controller.AcquireAsync(Chat(promptTokens: 800, maxTokens: 0), Ct).AsTask();
        var small = controller.AcquireAsync(Chat(promptTokens: 10, maxTokens: 0), Ct).AsTask();

        Assert.False(small.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(751));
        Assert.True(large.IsCompletedSuccessfully);
        Assert.False(small.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(10));
        Assert.True(small.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task AcquireAsync_CancelledWhileWaiting_ThrowsAndLeavesNoReservation()
    {
        var controller = Controller(Options(rpm: 60));
        Assert.Equal(1, AcquireUntilBlocked(controller, 1));
        using var cts = new CancellationTokenSource();
        var cancelled = controller.AcquireAsync(Chat(), cts.Token).AsTask();
        Assert.Equal(1, controller.WaitingCount);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(0, controller.WaitingCount);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, AcquireUntilBlocked(controller, 2));
    }

    [Fact]
    public async Task AcquireAsync_HeadCancelled_NextWaiterGoesAtOnce()
    {
        var controller = Controller(Options(tpm: 60_000, learn: false));
        _ = Granted(controller.AcquireAsync(Chat(promptTokens: 900, maxTokens: 0), Ct));
        using var cts = new CancellationTokenSource();
        var large = controller.AcquireAsync(Chat(promptTokens: 800, maxTokens: 0), cts.Token).AsTask();
        var small = controller.AcquireAsync(Chat(promptTokens: 10, maxTokens: 0), Ct).AsTask();

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => large);
        Assert.True(small.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task AcquireAsync_AlreadyCancelled_ThrowsWithoutReserving()
    {
        var controller = Controller(Options(rpm: 60));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            async () => await controller.AcquireAsync(Chat(), new CancellationToken(canceled: true)));

        Assert.Equal(1, AcquireUntilBlocked(controller, 2));
    }

    [Fact]
    public void AcquireAsync_NoFlags_SixteenGoBeforeAnyAnswerSaysWhatTheServerIs()
    {
        var controller = Controller(Options());
        var first = Enumerable.Range(0, 16).Select(_ => Granted(controller.AcquireAsync(Chat(), Ct))).ToArray();
        var seventeenth = controller.AcquireAsync(Chat(), Ct).AsTask();

        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.False(seventeenth.IsCompleted);

        controller.OnResponse(first[0], Ok());

        Assert.True(seventeenth.IsCompletedSuccessfully);
    }

    [Fact]
    public void OnResponse_LimitHeaders_BudgetsPaceTheRunAndConcurrencyOpensToTheMaximum()
    {
        var controller = Controller(Options());
        var first = Enumerable.Range(0, 16).Select(_ => Granted(controller.AcquireAsync(Chat(), Ct))).ToArray();

        controller.OnResponse(first[0], Ok(new RateLimitHeaders { LimitRequests = 600_000, RemainingRequests = 599_000 }));

        // 15 still on the wire, 241 more to the maximum of 256.
        Assert.Equal(256, controller.ConcurrencyLimit);
        Assert.Equal(241, AcquireUntilBlocked(controller, 1_000));
    }

    [Fact]
    public void OnFailure_NoAnswer_FreesTheSlot()
    {
        var controller = Controller(Options());
        var first = Enumerable.Range(0, 16).Select(_ => Granted(controller.AcquireAsync(Chat(), Ct))).ToArray();
        var waiting = controller.AcquireAsync(Chat(), Ct).AsTask();

        controller.OnFailure(first[3]);

        Assert.True(waiting.IsCompletedSuccessfully);
        Assert.Equal(16, controller.ConcurrencyLimit);
    }

    [Fact]
    public void OnResponse_NoLimitHeaders_NoBudgetOnlyTheConcurrencyLimit()
    {
        var controller = Controller(Options());
        var first = Granted(controller.AcquireAsync(Chat(), Ct));

        controller.OnResponse(first, Ok());

        Assert.Equal(16, AcquireUntilBlocked(controller, 10_000));
        Assert.Null(controller.RequestsPerMinuteLimit);
        Assert.Null(controller.TokensPerMinuteLimit);
    }

    [Fact]
    public void OnResponse_OverloadWithRetryAfter_PausesEveryoneForThatLong()
    {
        var controller = Controller(Options());
        var first = Granted(controller.AcquireAsync(Chat(), Ct));
        controller.OnResponse(first, Ok());
        var lease = Granted(controller.AcquireAsync(Chat(), Ct));

        controller.OnResponse(lease, new BatchResponse { StatusCode = 503, Headers = new RateLimitHeaders { RetryAfter = TimeSpan.FromMilliseconds(1500) } });

        Assert.Equal(0, AcquireUntilBlocked(controller, 1));
        _time.Advance(TimeSpan.FromMilliseconds(1500));
        Assert.Equal(1, AcquireUntilBlocked(controller, 1));
    }

    [Fact]
    public void OnResponse_RemainingWithoutLimitUnderAFlag_StillCorrectsTheLevel()
    {
        // Azure sends remaining counts but no limit: with a flag giving the rate, they still keep the client honest.
        var controller = Controller(Options(rpm: 6_000));
        var first = Granted(controller.AcquireAsync(Chat(), Ct));

        controller.OnResponse(first, Ok(new RateLimitHeaders { RemainingRequests = 3 }));

        Assert.Equal(3, AcquireUntilBlocked(controller, 100));
        Assert.Equal(6_000, controller.RequestsPerMinuteLimit);
    }

    [Fact]
    public void OnResponse_TooManyRequestsAskingForDays_PauseIsCappedAtOneDay()
    {
        var controller = Controller(Options(learn: false));
        var lease = Granted(controller.AcquireAsync(Chat(), Ct));

        controller.OnResponse(lease, TooMany(new RateLimitHeaders { RetryAfter = TimeSpan.FromDays(30) }));

        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromDays(1), controller.PausedUntil);
        var waiter = controller.AcquireAsync(Chat(), Ct).AsTask();
        _time.Advance(TimeSpan.FromHours(23));
        Assert.False(waiter.IsCompleted);
        _time.Advance(TimeSpan.FromHours(1));
        Assert.True(waiter.IsCompletedSuccessfully);
    }

    [Fact]
    public void TokenCost_PromptNotCounted_EstimatesFromTheBodySize()
    {
        var controller = Controller(Options());
        var call = Chat(maxTokens: 100);
        call.EstimatedPromptTokens = -1;

        Assert.Equal((call.Request.Body.Length / 4) + 100, controller.TokenCost(call));
    }

    private static BatchCall Uncounted(string content = "Item 1: the quick brown fox jumps over the lazy dog", int maxTokens = 100) =>
        new(LlmBatch.Input.BatchRequest.Create("u", "/v1/chat/completions", $$"""{"model":"gpt-4o-mini","max_tokens":{{maxTokens}},"messages":[{"role":"user","content":"{{content}}"}]}"""));

    [Fact]
    public void AcquireAsync_TokenBudgetFarFromBinding_ReservesTheBoundAndNeverCounts()
    {
        var controller = Controller(Options(tpm: 60_000_000));
        var call = Uncounted();

        Granted(controller.AcquireAsync(call, Ct));

        Assert.Equal(-1, call.EstimatedPromptTokens);
        Assert.Equal(call.Request.Body.Length + 100, call.ReservedTokens);
    }

    [Fact]
    public void AcquireAsync_NoTokenBudget_NeitherBoundsNorCounts()
    {
        var controller = Controller(Options(rpm: 6_000));
        var call = Uncounted();

        Granted(controller.AcquireAsync(call, Ct));

        Assert.Equal(-1, call.EstimatedPromptTokens);
        Assert.Equal((call.Request.Body.Length / 4) + 100, call.ReservedTokens);
    }

    [Fact]
    public void AcquireAsync_BoundWouldLeaveLessThanHalfTheBucket_CountsThePromptAndReservesTheCount()
    {
        // 1,000 tokens a second and a bucket of 950: a bound of ~140 bytes + 300 leaves more than half once, then not.
        var controller = Controller(Options(tpm: 60_000));
        var first = Uncounted(maxTokens: 300);
        var second = Uncounted(maxTokens: 300);

        Granted(controller.AcquireAsync(first, Ct));
        Granted(controller.AcquireAsync(second, Ct));

        var count = TokenCounter.Shared.CountPromptTokens(second.Request);
        Assert.Equal(-1, first.EstimatedPromptTokens);
        Assert.Equal(first.Request.Body.Length + 300, first.ReservedTokens);
        Assert.Equal(count, second.EstimatedPromptTokens);
        Assert.Equal(count + 300, second.ReservedTokens);
        Assert.True(count < second.Request.Body.Length);
    }

    [Fact]
    public void AcquireAsync_BucketRefilled_BoundsAgain()
    {
        var controller = Controller(Options(tpm: 60_000));
        Granted(controller.AcquireAsync(Uncounted(maxTokens: 300), Ct));
        var counted = Uncounted(maxTokens: 300);
        Granted(controller.AcquireAsync(counted, Ct));
        Assert.NotEqual(-1, counted.EstimatedPromptTokens);

        _time.Advance(TimeSpan.FromSeconds(1));
        var bounded = Uncounted(maxTokens: 300);
        Granted(controller.AcquireAsync(bounded, Ct));

        Assert.Equal(-1, bounded.EstimatedPromptTokens);
    }

    [Fact]
    public void AcquireAsync_PromptCountedBefore_KeepsTheCount()
    {
        var controller = Controller(Options(tpm: 60_000_000));
        var call = Uncounted();
        call.EstimatedPromptTokens = 7;

        Granted(controller.AcquireAsync(call, Ct));

        Assert.Equal(7, call.EstimatedPromptTokens);
        Assert.Equal(107, call.ReservedTokens);
    }

    [Fact]
    public void Dispose_WithWaiters_FailsThem()
    {
        var controller = Controller(Options(rpm: 60));
        Assert.Equal(1, AcquireUntilBlocked(controller, 1));
        var waiter = controller.AcquireAsync(Chat(), Ct).AsTask();

        controller.Dispose();

        Assert.IsType<ObjectDisposedException>(waiter.Exception?.InnerException);
        Assert.Throws<ObjectDisposedException>(() => { _ = controller.AcquireAsync(Chat(), Ct).AsTask(); });
    }
}
