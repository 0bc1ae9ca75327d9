using LlmBatch.Providers;
using LlmBatch.RateLimiting;
using LlmBatch.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace LlmBatch.Tests.Providers;

public sealed class DelegatingBatchHandlerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SendAsync_NotOverridden_PassesTheCallToTheInnerHandler()
    {
        var inner = new ScriptedHandler(ScriptedHandler.Status(200));
        using var layer = new PassThrough(inner);

        var response = await layer.SendAsync(new BatchCall(ScriptedHandler.Chat()), Ct);

        Assert.Equal(200, response.StatusCode);
        Assert.Equal(1, inner.Calls);
    }

    [Fact]
    public void GetService_TypeOfTheLayer_ReturnsTheLayerElseAsksTheInnerHandler()
    {
        var inner = new ScriptedHandler(ScriptedHandler.Status(200));
        using var layer = new PassThrough(inner);

        Assert.Same(layer, layer.GetService(typeof(PassThrough)));
        Assert.Same(inner, layer.GetService(typeof(ScriptedHandler)));
        Assert.Null(layer.GetService(typeof(PassThrough), "keyed"));
        Assert.Null(layer.GetService(typeof(string)));
    }

    [Fact]
    public void Dispose_Layer_DisposesTheInnerHandlerOnce()
    {
        var inner = new ScriptedHandler(ScriptedHandler.Status(200));
        var layer = new PassThrough(new PassThrough(inner));

        layer.Dispose();

        Assert.Equal(1, inner.Disposals);
    }

    [Fact]
    public void Constructor_NullInner_Throws() =>
        Assert.Throws<ArgumentNullException>(() => new PassThrough(null!));

    [Fact]
    public async Task Dispose_BuiltEngine_DisposesTheProviderAndTheRateController()
    {
        var provider = new ScriptedHandler(ScriptedHandler.Status(200));
        var engine = new BatchEngineBuilder(provider)
            .WithOptions(new BatchOptions { RequestsPerMinute = 60 })
            .WithTimeProvider(new FakeTimeProvider())
            .Use(inner => new PassThrough(inner))
            .Build();
        var controller = Assert.IsType<ResourceController>(((BatchEngine)engine).Pipeline.GetService(typeof(ResourceController)));

        engine.Dispose();

        Assert.Equal(1, provider.Disposals);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => controller.AcquireAsync(new BatchCall(ScriptedHandler.Chat()), Ct).AsTask());
    }

    private sealed class PassThrough(IBatchHandler inner) : DelegatingBatchHandler(inner);
}
