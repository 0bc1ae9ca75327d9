using LlmBatch.Caching;
using LlmBatch.Input;
using LlmBatch.RateLimiting;

namespace LlmBatch.Providers;

/// <summary>What a provider answered to one attempt.</summary>
public sealed class BatchResponse
{
    /// <summary>The HTTP status code.</summary>
    public required int StatusCode { get; init; }

    /// <summary>The response body as UTF-8 bytes (JSON for every endpoint LlmBatch supports).</summary>
    public ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>Rate-limit and retry facts read from the response headers; <see cref="RateLimitHeaders.Empty"/> when there were none.</summary>
    public RateLimitHeaders Headers { get; init; } = RateLimitHeaders.Empty;

    /// <summary>The provider's request id, when it sent one.</summary>
    public string? RequestId { get; init; }

    /// <summary>True when the response cache gave this answer: no request was sent for it (see <see cref="IBatchResponseCache"/>).</summary>
    public bool FromCache { get; init; }

    /// <summary>The custom_id of the identical request of this run whose answer this is, when it was shared; no request was sent for it.</summary>
    public string? SharedWith { get; init; }

    // Read on first use and kept: the retry layer, the rate controller, the cost ledger, telemetry and the engine all
    // take the usage and the shape from here. Two threads reading at once compute the same value; the flag is written
    // last, so a reader that sees it sees the facts.
    private ResponseFacts _facts;
    private volatile bool _factsRead;

    /// <summary>The body's usage and shape, read once (see <see cref="ResponseFacts"/>).</summary>
    internal ResponseFacts Facts
    {
        get
        {
            if (!_factsRead)
            {
                _facts = ResponseFacts.Read(Body.Span);
                _factsRead = true;
            }

            return _facts;
        }
    }

    /// <summary>True for a 2xx whose body has the shape <paramref name="endpoint"/> must return.</summary>
    internal bool IsValidSuccess(BatchEndpointKind endpoint) => StatusCode is >= 200 and < 300 && Facts.HasShapeOf(endpoint);
}
