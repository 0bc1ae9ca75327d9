namespace LlmBatch.BatchApi;

/// <summary>A file on the provider (<c>GET /v1/files/{id}</c>): what the job needs to recognise its own uploads.</summary>
internal sealed record ProviderFile(string Id, string Filename, long Bytes, string Purpose, DateTimeOffset? CreatedAt);
