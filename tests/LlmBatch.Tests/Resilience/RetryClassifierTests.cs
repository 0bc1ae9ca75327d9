using System.Net.Sockets;
using System.Text;
using LlmBatch.Input;
using LlmBatch.Providers;
using LlmBatch.RateLimiting;
using LlmBatch.Resilience;
using LlmBatch.Tests.TestSupport;

namespace LlmBatch.Tests.Resilience;

public class RetryClassifierTests
{
    [Theory]
    [InlineData(408)]
    [InlineData(409)]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(504)]
    public void Classify_TransientStatus_Retry(int status) =>
        Assert.Equal(RetryDecision.Retry, RetryClassifier.Classify(Response(status, "{}"), BatchEndpointKind.ChatCompletions));

    [Theory]
    [InlineData(429)]
    [InlineData(503)]
    [InlineData(529)]
    public void Classify_RateLimitOrOverload_ThrottledNotCountedAsAFailure(int status) =>
        Assert.Equal(RetryDecision.Throttled, RetryClassifier.Classify(Response(status, "{}"), BatchEndpointKind.ChatCompletions));

    [Fact]
    public void Classify_TooManyRequestsForAnExhaustedQuota_Permanent() =>
        Assert.Equal(RetryDecision.Permanent, RetryClassifier.Classify(
            Response(429, """{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"""),
            BatchEndpointKind.ChatCompletions));

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(422)]
    public void Classify_ClientError_Permanent(int status) =>
        Assert.Equal(RetryDecision.Permanent, RetryClassifier.Classify(Response(status, "{}"), BatchEndpointKind.ChatCompletions));

    [Fact]
    public void Classify_ValidChatBody_Success() =>
        Assert.Equal(RetryDecision.Success, RetryClassifier.Classify(Response(200, ScriptedHandler.ChatBody), BatchEndpointKind.ChatCompletions));

    [Theory]
    [InlineData("")]
    [InlineData("{\"id\":\"x\",\"choices\":[{\"index\":0")]
    [InlineData("{\"id\":\"x\"}")]
    [InlineData("<html>bad gateway</html>")]
    [InlineData("{\"choices\":[]} trailing")]
    public void Classify_InvalidSuccessBody_Retry(string body) =>
        Assert.Equal(RetryDecision.Retry, RetryClassifier.Classify(Response(200, body), BatchEndpointKind.ChatCompletions));

    [Fact]
    public void Classify_EmbeddingsBodyWithoutData_Retry()
    {
        Assert.Equal(RetryDecision.Retry, RetryClassifier.Classify(Response(200, ScriptedHandler.ChatBody), BatchEndpointKind.Embeddings));
        Assert.Equal(RetryDecision.Success, RetryClassifier.Classify(Response(200, """{"object":"list","data":[]}"""), BatchEndpointKind.Embeddings));
    }

    [Fact]
    public void Classify_ShouldRetryHeader_OverridesStatus()
    {
        Assert.Equal(RetryDecision.Retry, RetryClassifier.Classify(Response(400, "{}", new RateLimitHeaders { ShouldRetry = true }), BatchEndpointKind.ChatCompletions));
        Assert.Equal(RetryDecision.Permanent, RetryClassifier.Classify(Response(503, "{}", new RateLimitHeaders { ShouldRetry = false }), BatchEndpointKind.ChatCompletions));
    }

    [Fact]
    public void Classify_TransportExceptions_RetryWithCodes()
    {
        Exception[] transient = [new HttpRequestException("reset"), new IOException("cut"), new SocketException(), new AttemptTimeoutException(TimeSpan.FromSeconds(1))];
        foreach (var ex in transient)
        {
            Assert.Equal(RetryDecision.Retry, RetryClassifier.Classify(ex));
        }

        Assert.Equal("timeout", RetryClassifier.ErrorCode(new AttemptTimeoutException(TimeSpan.FromSeconds(1))));
        Assert.Equal("connection_error", RetryClassifier.ErrorCode(new HttpRequestException("reset")));
        Assert.Equal("response_too_large", RetryClassifier.ErrorCode(new ResponseTooLargeException(200, 1024, null)));
        Assert.Equal(RetryDecision.Permanent, RetryClassifier.Classify(new InvalidOperationException()));
    }

    private static BatchResponse Response(int status, string body, RateLimitHeaders? headers = null) =>
        new() { StatusCode = status, Body = Encoding.UTF8.GetBytes(body), Headers = headers ?? RateLimitHeaders.Empty };
}
