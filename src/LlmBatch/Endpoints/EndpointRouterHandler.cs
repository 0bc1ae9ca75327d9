using System.Runtime.CompilerServices;
using LlmBatch.Providers;
using LlmBatch.Resilience;

namespace LlmBatch.Endpoints;

/// <summary>
/// Middleware in the rate limit's place when the engine has several endpoints: each attempt goes to the endpoint
/// that admits it first (<see cref="EndpointPool.AcquireAsync"/>), through the layers below (timeout, counters,
/// telemetry, your middleware) to <see cref="EndpointDispatchHandler"/>, which sends it there. The answer settles that
/// endpoint's budget and health.
/// </summary>
/// <remarks>
/// Which attempts an item spends follows the usual policy (<see cref="RetryHandler"/> above decides); the router only
/// decides where each goes. A retry after a genuine failure avoids the endpoint that failed, when another is in. An
/// attempt that met an unusable endpoint (a refused connection or key: nothing of the request was looked at) is sent
/// on to another endpoint at once instead of coming back as a failure, so an endpoint that is down costs its items
/// nothing; only when no endpoint is left does the failure go up, to end the run as a single endpoint's would.
/// </remarks>
internal sealed class EndpointRouterHandler(IBatchHandler inner, EndpointPool pool) : DelegatingBatchHandler(inner)
{
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<BatchResponse> SendAsync(BatchCall item, CancellationToken cancellationToken)
    {
        // The endpoint of the previous attempt, when that attempt failed there (the retry layer has classified it).
        var avoid = item.LastDecision == RetryDecision.Retry ? item.Target : null;
        List<EndpointSlot>? tried = null;
        while (true)
        {
            var (slot, lease, probe) = await pool.AcquireAsync(item, avoid, tried, cancellationToken).ConfigureAwait(false);
            item.Target = slot;
            item.Endpoint = slot.Name;
            slot.AttemptStarted();
            BatchResponse response;
            try
            {
                response = await InnerHandler.SendAsync(item, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                slot.Controller.OnFailure(lease);
                var verdict = slot.Health.OnException(ex, probe, cancellationToken.IsCancellationRequested);
                slot.AttemptFailed(ex, verdict);
                if (verdict == EndpointHealth.Verdict.Unusable && Another(slot, ref tried))
                {
                    continue;
                }

                throw;
            }

            slot.Controller.OnResponse(lease, response);
            var judged = slot.Health.OnResponse(response, probe);
            slot.AttemptEnded(response.StatusCode, judged);
            if (judged == EndpointHealth.Verdict.Unusable && Another(slot, ref tried))
            {
                continue;
            }

            return response;
        }
    }

    public override object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(EndpointPool) ? pool : base.GetService(serviceType, serviceKey);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            pool.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Adds <paramref name="failed"/> to the endpoints this attempt tried; true when another is left.</summary>
    private bool Another(EndpointSlot failed, ref List<EndpointSlot>? tried)
    {
        tried ??= new List<EndpointSlot>(2);
        tried.Add(failed);
        return pool.HasOther(tried);
    }
}
