using LlmBatch.Input;
using LlmBatch.Providers;
using LlmBatch.RateLimiting;
using Microsoft.Extensions.Logging;

namespace LlmBatch.Caching;

/// <summary>
/// Middleware above the retry and rate-limit layers that answers a request without sending it when it can: a copy of a
/// request of this run shares its answer (waiting for it while it is in flight), and the response cache answers what an
/// earlier run already paid for. Only what is reusable under the policy is considered; the rest passes straight through.
/// A cache that fails is logged and treated as a miss: it never fails an item.
/// </summary>
internal sealed class ResponseReuseHandler : DelegatingBatchHandler
{
    private readonly ResponseReuseOptions _options;
    private readonly IBatchResponseCache? _cache;
    private readonly SharedAnswers? _shared;
    private readonly UInt128 _provider;
    private readonly ReuseCounters _counters;
    private readonly ILogger _logger;

    public ResponseReuseHandler(IBatchHandler inner, ResponseReuseOptions options, ReuseCounters counters, ILogger logger)
        : base(inner)
    {
        _options = options;
        _cache = options.Cache;
        _shared = options.Deduplicate ? new SharedAnswers(options.Repeats, options.MaxRetainedBytes) : null;
        _provider = RequestKey.ProviderHash(options.Provider);
        _counters = counters;
        _logger = logger;
    }

    public override ValueTask<BatchResponse> SendAsync(BatchCall item, CancellationToken cancellationToken)
    {
        var request = item.Request;

        // Most items have nothing to reuse: they go straight down, without a state machine of this layer.
        return (_shared is null && _cache is null)
            || !ResponseReuseOptions.IsReusable(request, _options.Policy)
            || !RepeatIndex.TryKey(_provider, request, out var key)
            ? InnerHandler.SendAsync(item, cancellationToken)
            : ReuseAsync(item, key, cancellationToken);
    }

    private async ValueTask<BatchResponse> ReuseAsync(BatchCall item, RequestKey key, CancellationToken cancellationToken)
    {
        var request = item.Request;
        if (_shared is null)
        {
            return await LeadAsync(item, key, cancellationToken).ConfigureAwait(false);
        }

        while (true)
        {
            var claim = _shared.Claim(key, request.CustomId);
            if (claim.Answer is { } retained)
            {
                _counters.SharedAnswer();
                return SharedCopy(retained, claim.From!);
            }

            if (claim.Wait is { } flight)
            {
                BatchResponse leaderAnswer;
                try
                {
                    leaderAnswer = await flight.Source.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (DispatchStoppedException)
                {
                    // The copy was not sent either: no line, a rerun sends it.
                    throw new DispatchStoppedException();
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // The leader was cancelled for its own reasons (its deadline): this copy tries itself.
                    continue;
                }

                _counters.SharedAnswer();
                return SharedCopy(leaderAnswer, claim.From!);
            }

            var lead = claim.Lead!;
            BatchResponse response;
            try
            {
                response = await LeadAsync(item, key, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // The copies waiting share the outcome: the same failure, or a stop, or (after a cancellation) a try of their own.
                _shared.Fail(key, lead, ex is DispatchStoppedException ? new DispatchStoppedException() : ex is OperationCanceledException ? new OperationCanceledException() : ex);
                throw;
            }

            _shared.Complete(key, lead, response, IsSuccess(response, request.Endpoint));
            return response;
        }
    }

    private async ValueTask<BatchResponse> LeadAsync(BatchCall item, RequestKey key, CancellationToken cancellationToken)
    {
        var request = item.Request;
        if (_cache is not null)
        {
            CachedAnswer? hit = null;
            try
            {
                hit = await _cache.TryGetAsync(key, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _counters.CacheError();
                _logger.LogWarning(ex, "Response cache lookup failed for {CustomId}; sending the request", request.CustomId);
            }

            if (hit is not null)
            {
                var sameRun = hit.OriginRun == _options.RunId && !string.Equals(hit.OriginCustomId, request.CustomId, StringComparison.Ordinal);
                if (sameRun)
                {
                    _counters.SharedAnswer();
                }
                else
                {
                    _counters.CacheHit();
                }

                return new BatchResponse
                {
                    StatusCode = hit.StatusCode,
                    Body = hit.Body,
                    RequestId = hit.RequestId,
                    FromCache = true,
                    SharedWith = sameRun ? hit.OriginCustomId : null,
                };
            }
        }

        var response = await InnerHandler.SendAsync(item, cancellationToken).ConfigureAwait(false);
        if (_cache is not null && IsSuccess(response, request.Endpoint))
        {
            try
            {
                await _cache.StoreAsync(key, new CachedAnswer
                {
                    StatusCode = response.StatusCode,
                    Body = response.Body,
                    RequestId = response.RequestId,
                    Model = request.Model,
                    OriginCustomId = request.CustomId,
                    OriginRun = _options.RunId,
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _counters.CacheError();
                _logger.LogWarning(ex, "Response cache write failed for {CustomId}; the answer is in the output all the same", request.CustomId);
            }
        }

        return response;
    }

    private static bool IsSuccess(BatchResponse response, BatchEndpointKind endpoint) =>
        response.IsValidSuccess(endpoint);

    private static BatchResponse SharedCopy(BatchResponse answer, string from) => new()
    {
        StatusCode = answer.StatusCode,
        Body = answer.Body,
        RequestId = answer.RequestId,
        FromCache = answer.FromCache,
        SharedWith = from,
    };
}
