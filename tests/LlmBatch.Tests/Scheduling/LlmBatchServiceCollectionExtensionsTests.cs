using LlmBatch.Input;
using LlmBatch.Output;
using LlmBatch.Tests.Providers;
using LlmBatch.Tests.TestSupport;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace LlmBatch.Tests.Scheduling;

public class LlmBatchServiceCollectionExtensionsTests
{
    [Fact]
    public async Task AddLlmBatch_WithProvider_ResolvesWorkingEngine()
    {
        var services = new ServiceCollection();
        services.AddLlmBatch(_ => new ScriptedHandler(ScriptedHandler.Status(200)), o => o.MaxConcurrency = 3);
        using var sp = services.BuildServiceProvider();
        var engine = sp.GetRequiredService<IBatchEngine>();
        var results = new List<BatchResult>();
        await foreach (var r in engine.RunAsync(One(), TestContext.Current.CancellationToken))
        {
            results.Add(r);
        }

        Assert.True(Assert.Single(results).IsSuccess);
    }

    [Fact]
    public void AddLlmBatch_InvalidOptions_ThrowsOnResolve()
    {
        var services = new ServiceCollection();
        services.AddLlmBatch(_ => new ScriptedHandler(ScriptedHandler.Status(200)), o => o.MaxAttempts = 0);
        using var sp = services.BuildServiceProvider();
        Assert.Throws<BatchOptionsException>(() => sp.GetRequiredService<IBatchEngine>());
    }

    [Fact]
    public void AddLlmBatch_NoProviderRegistered_ClearError()
    {
        var services = new ServiceCollection();
        services.AddLlmBatch();
        using var sp = services.BuildServiceProvider();
        var ex = Assert.Throws<InvalidOperationException>(() => sp.GetRequiredService<IBatchEngine>());
        Assert.Contains("IChatClient", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddLlmBatch_ChatClientInContainer_RunsThroughIt()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IChatClient>(new FakeChatClient(new ChatResponse(new ChatMessage(ChatRole.Assistant, "hi"))));
        services.AddLlmBatch();
        using var sp = services.BuildServiceProvider();
        var engine = sp.GetRequiredService<IBatchEngine>();
        await foreach (var r in engine.RunAsync(One(), TestContext.Current.CancellationToken))
        {
            Assert.True(r.IsSuccess, r.Error?.Message);
        }
    }

    private static async IAsyncEnumerable<BatchRequest> One()
    {
        await Task.Yield();
        yield return ScriptedHandler.Chat();
    }
}
