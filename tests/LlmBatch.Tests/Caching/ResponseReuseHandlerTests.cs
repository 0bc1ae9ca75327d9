using LlmBatch.Caching;
using LlmBatch.Input;
using LlmBatch.Providers;
using LlmBatch.RateLimiting;
using LlmBatch.Tests.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace LlmBatch.Tests.Caching;

public sealed class ResponseReuseHandlerTests
{
    private static BatchRequest Deterministic(string id, string content = "same") =>
        BatchRequest.Create(id, "/v1/chat/completions", $$"""{"model":"gpt-4o-mini","temperature":0,"messages":[{"role":"user","content":"{{content}}"}]}""");

    private static (ResponseReuseHandler Handler, ReuseCounters Counters) Build(IBatchHandler inner, ResponseReuseOptions options)
    {
        var counters = new ReuseCounters();
        return (new ResponseReuseHandler(inner, options, counters, NullLogger.Instance), counters);
    }

    [Fact]
    public async Task SendAsync_CopyArrivesWhileFirstInFlight_WaitsAndSharesTheAnswer()
    {
        var release = new TaskCompletionSource();
        var inner = new ScriptedHandler(async (_, ct) =>
        {
            await release.Task.WaitAsync(ct);
            return await ScriptedHandler.Status(200)(null!, ct);
        });
        var (handler, counters) = Build(inner, new ResponseReuseOptions());

        var first = handler.SendAsync(new BatchCall(Deterministic("a")), TestContext.Current.CancellationToken).AsTask();
        var copy = handler.SendAsync(new BatchCall(Deterministic("b")), TestContext.Current.CancellationToken).AsTask();
        release.SetResult();

        Assert.Equal(200, (await first).StatusCode);
        var shared = await copy;
        Assert.Equal("a", shared.SharedWith);
        Assert.Equal(1, inner.Calls);
        Assert.Equal(1, counters.Shared);
    }

    [Fact]
    public async Task SendAsync_CopyArrivesAfterFirstFinishedWithRepeatIndex_AnsweredWithoutSending()
    {
        var inner = new ScriptedHandler(ScriptedHandler.Status(200));
        var requests = new[] { Deterministic("a"), Deterministic("x", "other"), Deterministic("b"), Deterministic("c") };
        var index = await RepeatIndex.BuildAsync(requests.ToAsyncEnumerable(), ReusePolicy.Deterministic, "", TestContext.Current.CancellationToken);
        var (handler, _) = Build(inner, new ResponseReuseOptions { Repeats = index });

        foreach (var r in requests)
        {
            await handler.SendAsync(new BatchCall(r), TestContext.Current.CancellationToken);
        }

        Assert.Equal(2, index.Repeats);
        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public async Task SendAsync_WithoutIndexCopyAfterFirstFinished_SentAgain()
    {
        var inner = new ScriptedHandler(ScriptedHandler.Status(200));
        var (handler, _) = Build(inner, new ResponseReuseOptions());

        await handler.SendAsync(new BatchCall(Deterministic("a")), TestContext.Current.CancellationToken);
        await handler.SendAsync(new BatchCall(Deterministic("b")), TestContext.Current.CancellationToken);

        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public async Task SendAsync_NotDeterministic_EachSent()
    {
        var inner = new ScriptedHandler(ScriptedHandler.Status(200));
        var (handler, _) = Build(inner, new ResponseReuseOptions());

        await Task.WhenAll(
            handler.SendAsync(new BatchCall(ScriptedHandler.Chat("a")), TestContext.Current.CancellationToken).AsTask(),
            handler.SendAsync(new BatchCall(ScriptedHandler.Chat("b")), TestContext.Current.CancellationToken).AsTask());

        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public async Task SendAsync_CacheHoldsAnswer_NotSentAndMarkedCached()
    {
        var inner = new ScriptedHandler(ScriptedHandler.Status(200));
        var cache = new MemoryCache();
        var (first, _) = Build(inner, new ResponseReuseOptions { Cache = cache, Deduplicate = false });
        await first.SendAsync(new BatchCall(Deterministic("a")), TestContext.Current.CancellationToken);

        var (second, counters) = Build(inner, new ResponseReuseOptions { Cache = cache, Deduplicate = false });
        var answer = await second.SendAsync(new BatchCall(Deterministic("a")), TestContext.Current.CancellationToken);

        Assert.True(answer.FromCache);
        Assert.Null(answer.SharedWith);
        Assert.Equal(1, inner.Calls);
        Assert.Equal(1, counters.CacheHits);
    }

    [Fact]
    public async Task SendAsync_FailedAnswer_NotCached()
    {
        var inner = new ScriptedHandler(ScriptedHandler.Status(400), ScriptedHandler.Status(200));
        var cache = new MemoryCache();
        var (handler, _) = Build(inner, new ResponseReuseOptions { Cache = cache, Deduplicate = false });

        await handler.SendAsync(new BatchCall(Deterministic("a")), TestContext.Current.CancellationToken);
        await handler.SendAsync(new BatchCall(Deterministic("a")), TestContext.Current.CancellationToken);

        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public async Task SendAsync_LeaderStopped_CopyNotSentEither()
    {
        var release = new TaskCompletionSource();
        var inner = new ScriptedHandler(async (_, ct) =>
        {
            await release.Task.WaitAsync(ct);
            throw new DispatchStoppedException();
        });
        var (handler, _) = Build(inner, new ResponseReuseOptions());

        var first = handler.SendAsync(new BatchCall(Deterministic("a")), TestContext.Current.CancellationToken).AsTask();
        var copy = handler.SendAsync(new BatchCall(Deterministic("b")), TestContext.Current.CancellationToken).AsTask();
        release.SetResult();

        await Assert.ThrowsAsync<DispatchStoppedException>(() => first);
        await Assert.ThrowsAsync<DispatchStoppedException>(() => copy);
        Assert.Equal(1, inner.Calls);
    }

    private sealed class MemoryCache : IBatchResponseCache
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<RequestKey, CachedAnswer> _answers = new();

        public ValueTask<CachedAnswer?> TryGetAsync(RequestKey key, CancellationToken cancellationToken) =>
            ValueTask.FromResult(_answers.TryGetValue(key, out var a) ? a : null);

        public ValueTask StoreAsync(RequestKey key, CachedAnswer answer, CancellationToken cancellationToken)
        {
            _answers[key] = answer;
            return ValueTask.CompletedTask;
        }
    }
}
