using System.Text;
using LlmBatch.Input;
using LlmBatch.Providers;
using LlmBatch.RateLimiting;

namespace LlmBatch.Tests.TestSupport;

/// <summary>A provider that answers each attempt from a script: a response, an exception, or a hang until cancelled.</summary>
internal sealed class ScriptedHandler(params Func<BatchCall, CancellationToken, ValueTask<BatchResponse>>[] script) : IBatchHandler
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    /// <summary>How many times the handler was disposed.</summary>
    public int Disposals { get; private set; }

    public void Dispose() => Disposals++;

    public ValueTask<BatchResponse> SendAsync(BatchCall item, CancellationToken cancellationToken)
    {
        var n = Interlocked.Increment(ref _calls) - 1;
        return script[Math.Min(n, script.Length - 1)](item, cancellationToken);
    }

    public static Func<BatchCall, CancellationToken, ValueTask<BatchResponse>> Status(int status, string? body = null, RateLimitHeaders? headers = null) =>
        (_, _) => ValueTask.FromResult(new BatchResponse
        {
            StatusCode = status,
            Body = Encoding.UTF8.GetBytes(body ?? (status is >= 200 and < 300 ? ChatBody : """{"error":{"message":"boom","type":"server_error","param":null,"code":null}}""")),
            Headers = headers ?? RateLimitHeaders.Empty,
        });

    public static Func<BatchCall, CancellationToken, ValueTask<BatchResponse>> Throw(Exception exception) =>
        (_, _) => ValueTask.FromException<BatchResponse>(exception);

    public static Func<BatchCall, CancellationToken, ValueTask<BatchResponse>> Hang() =>
        async (_, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            throw new InvalidOperationException("unreachable");
        };

    public const string ChatBody = """{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}""";

    public static BatchRequest Chat(string id = "a1", int? maxTokens = 16) =>
        BatchRequest.Create(id, "/v1/chat/completions", maxTokens is { } m
            ? $$"""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}],"max_tokens":{{m}}}"""
            : """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}""");
}
