using LlmBatch.Input;
using LlmBatch.Providers;

namespace LlmBatch.BatchApi;

/// <summary>
/// Where the Files and Batches APIs live under a base URL, and how lines and batches name their endpoint there.
/// Paths are joined as model requests are (<see cref="HttpBatchHandler.ResolveEndpoint"/>), so the base URL's query,
/// Azure's <c>api-version</c>, rides along on every call. OpenAI and OpenAI-compatible servers take
/// <c>/v1/chat/completions</c> in lines and at creation. Azure OpenAI takes <c>/chat/completions</c> at creation;
/// its dated API (base URL <c>https://NAME.openai.azure.com/openai?api-version=…</c>) also wants it in every line,
/// its v1 API (<c>…/openai/v1</c>) takes the <c>/v1/…</c> form there.
/// </summary>
internal sealed class BatchApiUrls
{
    private readonly Uri _baseUrl;

    public BatchApiUrls(Uri baseUrl)
    {
        _baseUrl = baseUrl;
        var path = baseUrl.AbsolutePath.TrimEnd('/');
        AzureDated = path.EndsWith("/openai", StringComparison.OrdinalIgnoreCase);
        Azure = AzureDated || path.EndsWith("/openai/v1", StringComparison.OrdinalIgnoreCase) || HttpBatchHandler.IsAzureHost(baseUrl.Host);
    }

    /// <summary>True for Azure OpenAI (by host or by its <c>/openai</c> API root).</summary>
    public bool Azure { get; }

    /// <summary>True for Azure's dated API, whose lines name endpoints without <c>/v1</c>.</summary>
    public bool AzureDated { get; }

    public Uri Files => Resolve(EndpointPaths.FilesRelative);

    public Uri Batches => Resolve(EndpointPaths.BatchesRelative);

    public Uri File(string id) => Resolve(EndpointPaths.FilesRelative + "/" + Uri.EscapeDataString(id));

    public Uri FileContent(string id) => Resolve(EndpointPaths.FilesRelative + "/" + Uri.EscapeDataString(id) + "/content");

    public Uri Batch(string id) => Resolve(EndpointPaths.BatchesRelative + "/" + Uri.EscapeDataString(id));

    public Uri Cancel(string id) => Resolve(EndpointPaths.BatchesRelative + "/" + Uri.EscapeDataString(id) + "/cancel");

    /// <summary>The <c>url</c> written in each line of an input file for this endpoint kind.</summary>
    public string LineUrl(BatchEndpointKind kind) => AzureDated ? Bare(kind) : EndpointPaths.Prefix + Bare(kind);

    /// <summary>The <c>endpoint</c> given when creating a batch.</summary>
    public string Endpoint(BatchEndpointKind kind) => Azure ? Bare(kind) : EndpointPaths.Prefix + Bare(kind);

    /// <summary><paramref name="uri"/> with <paramref name="query"/> added to the query it already has.</summary>
    public static Uri WithQuery(Uri uri, string query)
    {
        var builder = new UriBuilder(uri);
        var existing = builder.Query.TrimStart('?');
        builder.Query = existing.Length == 0 ? query : existing + "&" + query;
        return builder.Uri;
    }

    private static string Bare(BatchEndpointKind kind) => EndpointPaths.Relative(kind);

    private Uri Resolve(string path) => HttpBatchHandler.ResolveEndpoint(_baseUrl, path);
}
