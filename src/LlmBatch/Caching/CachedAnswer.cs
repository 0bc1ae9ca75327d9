namespace LlmBatch.Caching;

/// <summary>A successful answer kept by an <see cref="IBatchResponseCache"/>.</summary>
public sealed class CachedAnswer
{
    /// <summary>The HTTP status (2xx).</summary>
    public required int StatusCode { get; init; }

    /// <summary>The response body as sent by the provider (UTF-8 JSON).</summary>
    public required ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>The provider's request id of the original answer, if any.</summary>
    public string? RequestId { get; init; }

    /// <summary>The request body's model, for statistics.</summary>
    public string Model { get; init; } = "";

    /// <summary>The custom_id of the request that obtained the answer.</summary>
    public string OriginCustomId { get; init; } = "";

    /// <summary>The run that obtained the answer (see <see cref="ResponseReuseOptions.RunId"/>).</summary>
    public Guid OriginRun { get; init; }
}
