using System.Text;
using LlmBatch.Input;
using LlmBatch.Providers;

namespace LlmBatch.Tests.Providers;

public sealed class RoutingBatchHandlerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SendAsync_ChooserPicksHandler_RequestGoesThere()
    {
        var chat = new NamedHandler("chat");
        var embeddings = new NamedHandler("embeddings");
        var fallback = new NamedHandler("fallback");
        var router = BatchProviders.Route(r => r.Endpoint switch
        {
            BatchEndpointKind.ChatCompletions => chat,
            BatchEndpointKind.Embeddings => embeddings,
            _ => null,
        }, fallback);

        var a = await router.SendAsync(new BatchCall(BatchRequest.Create("a", "/v1/chat/completions", """{"model":"m","messages":[]}""")), Ct);
        var b = await router.SendAsync(new BatchCall(BatchRequest.Create("b", "/v1/embeddings", """{"model":"e","input":"x"}""")), Ct);
        var c = await router.SendAsync(new BatchCall(BatchRequest.Create("c", "/v1/responses", """{"model":"m","input":"x"}""")), Ct);

        Assert.Equal("chat:a", Encoding.UTF8.GetString(a.Body.Span));
        Assert.Equal("embeddings:b", Encoding.UTF8.GetString(b.Body.Span));
        Assert.Equal("fallback:c", Encoding.UTF8.GetString(c.Body.Span));
    }

    [Fact]
    public void Route_NullArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => BatchProviders.Route(null!, new NamedHandler("x")));
        Assert.Throws<ArgumentNullException>(() => BatchProviders.Route(_ => null, null!));
    }

    private sealed class NamedHandler(string name) : IBatchHandler
    {
        public ValueTask<BatchResponse> SendAsync(BatchCall item, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new BatchResponse { StatusCode = 200, Body = Encoding.UTF8.GetBytes($"{name}:{item.Request.CustomId}") });
    }
}
