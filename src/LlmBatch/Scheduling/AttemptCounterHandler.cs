namespace LlmBatch;

/// <summary>Middleware just above the provider that counts attempts on the wire, for progress and the in-flight gauge.</summary>
internal sealed class AttemptCounterHandler(IBatchHandler inner, RunCounters counters) : IBatchHandler
{
    public async ValueTask<BatchResponse> SendAsync(BatchCall item, CancellationToken cancellationToken)
    {
        counters.AttemptStarted(item.Attempt);
        var status = 0;
        try
        {
            var response = await inner.SendAsync(item, cancellationToken).ConfigureAwait(false);
            status = response.StatusCode;
            return response;
        }
        finally
        {
            counters.AttemptEnded(status);
        }
    }
}
