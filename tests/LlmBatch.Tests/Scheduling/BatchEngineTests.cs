using LlmBatch.Input;
using LlmBatch.Output;
using LlmBatch.Providers;
using LlmBatch.RateLimiting;
using LlmBatch.Tests.TestSupport;
using static LlmBatch.Tests.TestSupport.EngineRuns;
using Microsoft.Extensions.Time.Testing;

namespace LlmBatch.Tests.Scheduling;

public class BatchEngineTests
{
    private static IBatchEngine Engine(IBatchHandler provider, Action<BatchOptions>? configure = null)
    {
        var options = new BatchOptions { RetryBaseDelay = TimeSpan.Zero, RetryMaxDelay = TimeSpan.Zero };
        configure?.Invoke(options);
        return new BatchEngineBuilder(provider).WithOptions(options).Build();
    }

    [Fact]
    public async Task RunAsync_AllSucceed_ExactlyOneResultPerRequest()
    {
        var results = await Collect(Engine(new ScriptedHandler(ScriptedHandler.Status(200))).RunAsync(Requests(500), TestContext.Current.CancellationToken));
        Assert.Equal(500, results.Count);
        Assert.Equal(500, results.Select(r => r.CustomId).Distinct().Count());
        Assert.All(results, r =>
        {
            Assert.True(r.IsSuccess);
            Assert.Equal(1, r.Stats.Attempts);
            Assert.True(r.Stats.UsageReported);
            Assert.Equal(5, r.Stats.PromptTokens);
            Assert.StartsWith("batch_req_", r.Id, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task RunAsync_MaxConcurrency_NeverExceeded()
    {
        var current = 0;
        var peak = 0;
        var provider = new ScriptedHandler(async (item, ct) =>
        {
            var now = Interlocked.Increment(ref current);
            InterlockedMax(ref peak, now);
            await Task.Delay(2, ct);
            Interlocked.Decrement(ref current);
            return await ScriptedHandler.Status(200)(item, ct);
        });
        var results = await Collect(Engine(provider, o => o.MaxConcurrency = 7).RunAsync(Requests(200), TestContext.Current.CancellationToken));
        Assert.Equal(200, results.Count);
        Assert.InRange(peak, 2, 7);
    }

    [Fact]
    public async Task RunAsync_ConsumerNotReading_InputReadOnlyAsFastAsDispatch()
    {
        var pulled = 0;
        var engine = Engine(new ScriptedHandler(ScriptedHandler.Status(200)), o => o.MaxConcurrency = 4);
        await using var e = engine.RunAsync(Requests(10_000, _ => Interlocked.Increment(ref pulled)), TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);
        Assert.True(await e.MoveNextAsync());

        // With the consumer stalled, the bounded result channel (4) and the 4 slots fill, then reading stops.
        for (var i = 0; i < 50 && Volatile.Read(ref pulled) < 20; i++)
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        Assert.InRange(Volatile.Read(ref pulled), 1, 4 + 4 + 2);
    }

    [Fact]
    public async Task RunAsync_TransientThenSuccess_RetriedAndStatusesRecorded()
    {
        var provider = new ScriptedHandler(ScriptedHandler.Status(503), ScriptedHandler.Throw(new HttpRequestException("reset")), ScriptedHandler.Status(200));
        var results = await Collect(Engine(provider, o => o.MaxConcurrency = 1).RunAsync(Requests(1), TestContext.Current.CancellationToken));
        var r = Assert.Single(results);
        Assert.True(r.IsSuccess);
        Assert.Equal(3, r.Stats.Attempts);
        Assert.Equal([503, 0, 200], r.Stats.Statuses);
    }

    [Fact]
    public async Task RunAsync_PermanentError_ErrorLineWithProviderMessage()
    {
        var provider = new ScriptedHandler(ScriptedHandler.Status(200), ScriptedHandler.Status(400, """{"error":{"message":"bad temperature","type":"invalid_request_error"}}"""));
        var results = await Collect(Engine(provider, o => o.MaxConcurrency = 1).RunAsync(Requests(2), TestContext.Current.CancellationToken));
        var failed = Assert.Single(results, r => !r.IsSuccess);
        Assert.Equal("http_400", failed.Error!.Code);
        Assert.Equal("bad temperature", failed.Error.Message);
        Assert.Equal(400, failed.StatusCode);
        Assert.Equal(1, failed.Stats.Attempts);
    }

    [Fact]
    public async Task RunAsync_RetriesExhaustedOnTransport_ConnectionErrorLine()
    {
        var provider = new ScriptedHandler(ScriptedHandler.Throw(new HttpRequestException("refused")));
        var results = await Collect(Engine(provider, o => o.MaxAttempts = 3).RunAsync(Requests(1), TestContext.Current.CancellationToken));
        var r = Assert.Single(results);
        Assert.Equal("connection_error", r.Error!.Code);
        Assert.Equal(0, r.StatusCode);
        Assert.Equal(3, r.Stats.Attempts);
        Assert.Equal(3, provider.Calls);
    }

    [Fact]
    public async Task RunAsync_InvalidSuccessBodyEveryTime_InvalidResponseLine()
    {
        var provider = new ScriptedHandler(ScriptedHandler.Status(200, """{"id":"x","choi"""));
        var results = await Collect(Engine(provider, o => o.MaxAttempts = 2).RunAsync(Requests(1), TestContext.Current.CancellationToken));
        Assert.Equal("invalid_response", Assert.Single(results).Error!.Code);
    }

    [Fact]
    public async Task RunAsync_UnauthorizedBeforeAnySuccess_StopsRunAndRecordsNothing()
    {
        var provider = new ScriptedHandler(ScriptedHandler.Status(401, """{"error":{"message":"Incorrect API key provided"}}"""));
        var engine = Engine(provider, o => o.MaxConcurrency = 2);
        var seen = new List<BatchResult>();
        var ex = await Assert.ThrowsAsync<BatchAuthenticationException>(async () =>
        {
            await foreach (var r in engine.RunAsync(Requests(1000), TestContext.Current.CancellationToken))
            {
                seen.Add(r);
            }
        });
        Assert.Empty(seen);
        Assert.Equal(401, ex.StatusCode);
        Assert.Contains("Incorrect API key", ex.Message, StringComparison.Ordinal);
        Assert.InRange(provider.Calls, 1, 4);
    }

    [Fact]
    public async Task RunAsync_EndpointRefusesBeforeAnySuccess_StopsRunAndRecordsNothing()
    {
        var refused = new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (127.0.0.1:1)");
        var provider = new ScriptedHandler(ScriptedHandler.Throw(refused));
        var engine = Engine(provider, o => { o.MaxConcurrency = 2; o.MaxAttempts = 2; });
        var seen = new List<BatchResult>();
        var ex = await Assert.ThrowsAsync<BatchEndpointUnreachableException>(async () =>
        {
            await foreach (var r in engine.RunAsync(Requests(500), TestContext.Current.CancellationToken))
            {
                seen.Add(r);
            }
        });
        Assert.Empty(seen);
        Assert.Same(refused, ex.InnerException);
        Assert.InRange(provider.Calls, 2, 8);
    }

    [Fact]
    public async Task RunAsync_EndpointRefusesAfterSuccesses_FailureLinesNotAStop()
    {
        var refused = new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused");
        var provider = new ScriptedHandler(ScriptedHandler.Status(200), ScriptedHandler.Throw(refused));
        var results = await Collect(Engine(provider, o => { o.MaxConcurrency = 1; o.MaxAttempts = 2; }).RunAsync(Requests(3), TestContext.Current.CancellationToken));
        Assert.Equal(3, results.Count);
        Assert.Equal(2, results.Count(r => r.Error?.Code == "connection_error"));
    }

    [Fact]
    public async Task RunAsync_ItemDeadline_DeadlineExceededLine()
    {
        // On the fake clock: with real 50 ms waits a loaded machine reached the 300 ms deadline after one attempt.
        var time = new FakeTimeProvider();
        var provider = new ScriptedHandler(ScriptedHandler.Status(503));
        var engine = new BatchEngineBuilder(provider).WithOptions(new BatchOptions
        {
            RetryBaseDelay = TimeSpan.FromMilliseconds(50),
            RetryMaxDelay = TimeSpan.FromMilliseconds(50),
            MaxAttempts = 100,
            ItemDeadline = TimeSpan.FromMilliseconds(300),
        }).WithTimeProvider(time).Build();
        var run = Collect(engine.RunAsync(Requests(1), TestContext.Current.CancellationToken));
        for (var i = 0; i < 2_000 && !run.IsCompleted; i++)
        {
            await Task.Delay(1, TestContext.Current.CancellationToken);
            time.Advance(TimeSpan.FromMilliseconds(10));
        }

        var r = Assert.Single(await run);
        Assert.Equal("deadline_exceeded", r.Error!.Code);
        Assert.True(r.Stats.Attempts >= 2);
    }

    [Fact]
    public async Task RunAsync_CallerCancels_FinishedResultsDeliveredHungOnesAbandoned()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var provider = new ScriptedHandler(async (item, ct) =>
        {
            if (item.Request.CustomId == "id0")
            {
                return await ScriptedHandler.Status(200)(item, ct);
            }

            await Task.Delay(Timeout.Infinite, ct);
            return null!;
        });
        var engine = Engine(provider, o => o.MaxConcurrency = 4);
        var seen = new List<BatchResult>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var r in engine.RunAsync(Requests(10), cts.Token))
            {
                seen.Add(r);
                await cts.CancelAsync();
            }
        });
        Assert.Equal("id0", Assert.Single(seen).CustomId);
    }

    [Fact]
    public async Task RunAsync_ThrottledManyTimesThenAnswered_SucceedsWithoutUsingUpAttempts()
    {
        // Twelve 429s and 503s in a row, with only two attempts allowed: the limit must not cost the item.
        var script = Enumerable.Range(0, 12).Select(i => ScriptedHandler.Status(i % 2 == 0 ? 429 : 503)).Append(ScriptedHandler.Status(200)).ToArray();
        var engine = Engine(new ScriptedHandler(script), o => { o.MaxConcurrency = 1; o.MaxAttempts = 2; });
        var r = Assert.Single(await Collect(engine.RunAsync(Requests(1), TestContext.Current.CancellationToken)));
        Assert.True(r.IsSuccess);
        Assert.Equal(13, r.Stats.Attempts);
    }

    [Fact]
    public async Task RunAsync_ServerRefusesEverythingForTheStallTimeout_StopsWithNoLineForTheItems()
    {
        var time = new FakeTimeProvider();
        var provider = new ScriptedHandler(ScriptedHandler.Status(503));
        var engine = new BatchEngineBuilder(provider)
            .WithOptions(new BatchOptions { StallTimeout = TimeSpan.FromMinutes(2), RetryBaseDelay = TimeSpan.FromSeconds(1), RetryMaxDelay = TimeSpan.FromSeconds(8) })
            .WithTimeProvider(time)
            .Build();
        var run = Collect(engine.RunAsync(Requests(5), TestContext.Current.CancellationToken));
        for (var i = 0; i < 300 && !run.IsCompleted; i++)
        {
            await Task.Delay(1, TestContext.Current.CancellationToken);
            time.Advance(TimeSpan.FromSeconds(1));
        }

        var stalled = await Assert.ThrowsAsync<BatchStalledException>(() => run);
        Assert.Equal(503, stalled.LastStatus);
        Assert.True(stalled.StalledFor >= TimeSpan.FromMinutes(2));
        Assert.True(provider.Calls > 5);
    }

    [Fact]
    public async Task RunAsync_QuotaExhausted_StopsAtOnceRecordingNothing()
    {
        var quota = ScriptedHandler.Status(429, """{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}""");
        var provider = new ScriptedHandler(ScriptedHandler.Status(200), quota);
        var engine = Engine(provider, o => o.MaxConcurrency = 1);
        var results = new List<BatchResult>();
        await Assert.ThrowsAsync<BatchQuotaExhaustedException>(async () =>
        {
            await foreach (var r in engine.RunAsync(Requests(5), TestContext.Current.CancellationToken))
            {
                results.Add(r);
            }
        });
        Assert.Single(results);
        Assert.Equal(2, provider.Calls);
    }

    [Fact]
    public async Task RunAsync_RequestTooLargeForTheBudget_FailsThatItemAndTheRestGoOn()
    {
        var tooLarge = ScriptedHandler.Status(429, """{"error":{"message":"Request too large for gpt-4o-mini in organization org-x on tokens per min (TPM): Limit 30000, Requested 50000.","type":"tokens","param":null,"code":"rate_limit_exceeded"}}""");
        var provider = new ScriptedHandler((item, ct) => item.Request.CustomId == "id1" ? tooLarge(item, ct) : ScriptedHandler.Status(200)(item, ct));
        var results = await Collect(Engine(provider).RunAsync(Requests(3), TestContext.Current.CancellationToken));
        Assert.Equal(3, results.Count);
        var failed = Assert.Single(results, r => !r.IsSuccess);
        Assert.Equal("id1", failed.CustomId);
        Assert.Equal("http_429", failed.Error!.Code);
        Assert.Equal(1, failed.Stats.Attempts);
    }

    [Fact]
    public async Task GetProgress_AfterRun_CountsMatch()
    {
        var provider = new ScriptedHandler(ScriptedHandler.Status(429, headers: new RateLimitHeaders { RetryAfter = TimeSpan.FromMilliseconds(1) }), ScriptedHandler.Status(200));
        var engine = Engine(provider, o => o.MaxConcurrency = 1);
        await Collect(engine.RunAsync(Requests(3), TestContext.Current.CancellationToken));
        var p = engine.GetProgress();
        Assert.Equal(3, p.Completed);
        Assert.Equal(3, p.Succeeded);
        Assert.Equal(4, p.Attempts);
        Assert.Equal(1, p.Retries);
        Assert.Equal(1, p.RateLimited);
        Assert.Equal(0, p.InFlight);
    }

    [Fact]
    public async Task GetProgress_MidRunWithItemsNotYetSent_RetriesCountedAsTheyHappen()
    {
        // Every item fails its first attempt once; the limiter lets one attempt out per second of fake time, so every
        // slot holds an item that has started but not yet sent its attempt. Retries must show as they are sent, not
        // only once those items have drained (counting attempts minus items started read 0 here).
        var time = new FakeTimeProvider();
        var retriesSent = 0;
        using var attempted = new SemaphoreSlim(0);
        var provider = new ScriptedHandler(async (item, ct) =>
        {
            if (item.Attempt > 1)
            {
                Interlocked.Increment(ref retriesSent);
            }

            var response = await ScriptedHandler.Status(item.Attempt == 1 ? 500 : 200)(item, ct);
            attempted.Release();
            return response;
        });
        var engine = new BatchEngineBuilder(provider)
            .WithOptions(new BatchOptions { RequestsPerMinute = 60, MaxConcurrency = 8, RetryBaseDelay = TimeSpan.Zero, RetryMaxDelay = TimeSpan.Zero })
            .WithTimeProvider(time)
            .Build();
        var ct = TestContext.Current.CancellationToken;
        var run = Collect(engine.RunAsync(Requests(50), ct));

        // Fake time moves only while no attempt comes: continuations run on the thread pool, so advancing in lockstep
        // with attempts raced items that had not yet set their limiter or backoff timers.
        async Task<bool> NextAttemptAsync()
        {
            for (var i = 0; i < 200 && !run.IsCompleted; i++)
            {
                if (await attempted.WaitAsync(TimeSpan.FromMilliseconds(20), ct))
                {
                    return true;
                }

                time.Advance(TimeSpan.FromSeconds(1));
            }

            return false;
        }

        for (var i = 0; i < 12; i++)
        {
            Assert.True(await NextAttemptAsync(), "the limiter let no attempt out");
        }

        var p = engine.GetProgress();
        Assert.True(Volatile.Read(ref retriesSent) > 0, "some retries were sent");
        Assert.True(p.Completed < 50, "the run is still going");
        Assert.InRange(p.Retries, Volatile.Read(ref retriesSent), Volatile.Read(ref retriesSent) + 1);

        while (!run.IsCompleted && await NextAttemptAsync())
        {
        }

        Assert.Equal(50, (await run).Count);
        Assert.Equal(50, engine.GetProgress().Retries);
    }

    [Fact]
    public async Task Use_Middleware_SeesEveryAttemptInsideRetries()
    {
        var attempts = 0;
        var provider = new ScriptedHandler(ScriptedHandler.Status(500), ScriptedHandler.Status(200));
        var engine = new BatchEngineBuilder(provider)
            .WithOptions(new BatchOptions { RetryBaseDelay = TimeSpan.Zero, RetryMaxDelay = TimeSpan.Zero })
            .Use(next => new CountingMiddleware(next, () => Interlocked.Increment(ref attempts)))
            .Build();
        await Collect(engine.RunAsync(Requests(1), TestContext.Current.CancellationToken));
        Assert.Equal(2, attempts);
    }

    [Fact]
    public async Task StopDispatch_ItemsWaitingOnLimiter_NotSentAndOnWireOnesStillYielded()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sent = 0;
        var provider = new ScriptedHandler(async (item, ct) =>
        {
            Interlocked.Increment(ref sent);
            await release.Task.WaitAsync(ct);
            return await ScriptedHandler.Status(200)(item, ct);
        });

        // 60 a minute: a burst of about one, then one a second, so most items wait on the limiter.
        var engine = Engine(provider, o => { o.RequestsPerMinute = 60; o.MaxConcurrency = 50; });
        var results = new List<BatchResult>();
        var run = Task.Run(async () =>
        {
            await foreach (var r in engine.RunAsync(Requests(50), TestContext.Current.CancellationToken))
            {
                results.Add(r);
            }
        }, TestContext.Current.CancellationToken);

        for (var i = 0; i < 200 && (Volatile.Read(ref sent) == 0 || engine.GetProgress().WaitingOnLimiter == 0); i++)
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        var onWire = Volatile.Read(ref sent);
        engine.StopDispatch();
        release.SetResult();
        await run.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.InRange(onWire, 1, 3);
        Assert.Equal(onWire, Volatile.Read(ref sent));
        Assert.Equal(onWire, results.Count);
        Assert.All(results, r => Assert.True(r.IsSuccess));
        Assert.Equal(0, engine.GetProgress().WaitingOnLimiter);
    }

    private static async IAsyncEnumerable<BatchRequest> Named(string prefix, int count)
    {
        for (var i = 0; i < count; i++)
        {
            yield return ScriptedHandler.Chat(prefix + i);
            await Task.Yield();
        }
    }

    private static async Task Until(Func<bool> condition)
    {
        // Yields to the runs' own tasks rather than sleeping; the scripted handlers decide when anything finishes.
        for (var i = 0; i < 1_000_000 && !condition(); i++)
        {
            await Task.Yield();
        }

        Assert.True(condition());
    }

    [Fact]
    public async Task Start_TwoRunsOneStopped_OtherCompletesEveryItem()
    {
        var time = new FakeTimeProvider();
        var provider = new ScriptedHandler(ScriptedHandler.Status(200));

        // 60 a minute: a burst of about one, then one a second, so both runs' items queue in the shared controller.
        using var engine = new BatchEngineBuilder(provider)
            .WithOptions(new BatchOptions { RequestsPerMinute = 60, MaxConcurrency = 50, RetryBaseDelay = TimeSpan.Zero, RetryMaxDelay = TimeSpan.Zero })
            .WithTimeProvider(time)
            .Build();

        await using var a = engine.Start(Named("a", 20), TestContext.Current.CancellationToken);
        var readA = Collect(a.Results);
        await Until(() => engine.GetProgress().WaitingOnLimiter + a.GetProgress().Completed == 20);
        var waitingA = engine.GetProgress().WaitingOnLimiter;
        await using var b = engine.Start(Named("b", 30), TestContext.Current.CancellationToken);
        var readB = Collect(b.Results);
        await Until(() => engine.GetProgress().WaitingOnLimiter == waitingA + 30);

        // Stopping A refuses A's waiters only: B's 30 keep their places and are all sent as the budget refills.
        a.StopDispatch();
        await Until(() => engine.GetProgress().WaitingOnLimiter == 30);
        var resultsA = await readA.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        for (var i = 0; i < 600 && !readB.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            var before = b.GetProgress().Completed;
            for (var y = 0; y < 1_000 && !readB.IsCompleted && b.GetProgress().Completed == before; y++)
            {
                await Task.Yield();
            }
        }

        var resultsB = await readB.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Equal(30, resultsB.Count);
        Assert.All(resultsB, r => Assert.True(r.IsSuccess));
        Assert.Equal(30, resultsB.Select(r => r.CustomId).Distinct().Count());
        Assert.Equal(20 - waitingA, resultsA.Count);
        Assert.All(resultsA, r => Assert.StartsWith("a", r.CustomId, StringComparison.Ordinal));
        Assert.Equal(resultsA.Count + 30, provider.Calls);

        // Each run's summary counts its own items only.
        Assert.Equal(30, (await b.Completion).Succeeded);
        Assert.Equal(resultsA.Count, (await a.Completion).Succeeded);
    }

    [Fact]
    public async Task Start_OneRunsKeyRefused_OnlyThatRunStops()
    {
        var provider = new ScriptedHandler((item, ct) => item.Request.CustomId.StartsWith('a')
            ? ScriptedHandler.Status(401, """{"error":{"message":"Incorrect API key provided."}}""")(item, ct)
            : ScriptedHandler.Status(200)(item, ct));
        using var engine = Engine(provider, o => o.MaxConcurrency = 2);

        await using var a = engine.Start(Named("a", 20), TestContext.Current.CancellationToken);
        await using var b = engine.Start(Named("b", 30), TestContext.Current.CancellationToken);
        var readB = Collect(b.Results);

        await Assert.ThrowsAsync<BatchAuthenticationException>(() => Collect(a.Results));
        await Assert.ThrowsAsync<BatchAuthenticationException>(() => a.Completion);
        var resultsB = await readB;
        Assert.Equal(30, resultsB.Count);
        Assert.All(resultsB, r => Assert.True(r.IsSuccess));
        Assert.Equal(30, (await b.Completion).Succeeded);
        await Assert.ThrowsAsync<InvalidOperationException>(() => Collect(b.Results));
    }

    [Fact]
    public async Task RunAsync_SecondRunWhileFirstRuns_BothComplete()
    {
        using var engine = Engine(new ScriptedHandler(ScriptedHandler.Status(200)), o => o.MaxConcurrency = 1);
        await using (var first = engine.RunAsync(Requests(100), TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken))
        {
            Assert.True(await first.MoveNextAsync());
            Assert.Single(await Collect(engine.RunAsync(Requests(1), TestContext.Current.CancellationToken)));
            var rest = 1;
            while (await first.MoveNextAsync())
            {
                rest++;
            }

            Assert.Equal(100, rest);
        }
    }

    [Fact]
    public void Build_InvalidOptions_OneErrorListingEveryProblem()
    {
        var ex = Assert.Throws<BatchOptionsException>(() => new BatchEngineBuilder(new ScriptedHandler(ScriptedHandler.Status(200)))
            .WithOptions(new BatchOptions { MaxConcurrency = 0, MaxAttempts = 0, RequestsPerMinute = -1 })
            .Build());
        Assert.Equal(3, ex.Problems.Count);
        Assert.Contains("MaxConcurrency", ex.Message, StringComparison.Ordinal);
        Assert.Contains("MaxAttempts", ex.Message, StringComparison.Ordinal);
        Assert.Contains("RequestsPerMinute", ex.Message, StringComparison.Ordinal);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    private sealed class CountingMiddleware(IBatchHandler next, Action onAttempt) : DelegatingBatchHandler(next)
    {
        public override ValueTask<BatchResponse> SendAsync(BatchCall item, CancellationToken cancellationToken)
        {
            onAttempt();
            return base.SendAsync(item, cancellationToken);
        }
    }
}
