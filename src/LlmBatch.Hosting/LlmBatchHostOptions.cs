using LlmBatch.Typed;

namespace LlmBatch.Hosting;

/// <summary>
/// LlmBatch's settings in a host, bound from a configuration section (for example <c>"LlmBatch"</c> in
/// <c>appsettings.json</c>) by <c>services.AddLlmBatch(configuration.GetSection("LlmBatch"))</c> and validated once
/// at start-up. The API key is never a setting: it is read from an environment variable, as on the command line.
/// </summary>
/// <example>
/// <code>
/// "LlmBatch": {
///   "BaseUrl": "http://localhost:11434/v1",
///   "Engine": { "MaxConcurrency": 32, "RequestsPerMinute": 600 },
///   "Runner": { "OutputPath": "embeddings.jsonl", "EmbeddingModel": "nomic-embed-text" }
/// }
/// </code>
/// </example>
public sealed class LlmBatchHostOptions
{
    /// <summary>The name of the <see cref="System.Net.Http.IHttpClientFactory"/> client used when the host has a factory (default <c>LlmBatch</c>).</summary>
    public const string DefaultHttpClientName = "LlmBatch";

    /// <summary>
    /// The API root, as the OpenAI SDKs take it (for example <c>https://api.openai.com/v1</c>). Default null: the
    /// command line's rules, that is <c>OPENAI_BASE_URL</c>, else OpenAI's own API when a key is set.
    /// </summary>
    public string? BaseUrl { get; set; }

    /// <summary>
    /// The name of the environment variable that holds the API key (default null: <c>OPENAI_API_KEY</c>, or
    /// <c>AZURE_OPENAI_API_KEY</c> for Azure hosts). When named, the variable must be set.
    /// </summary>
    public string? ApiKeyVariable { get; set; }

    /// <summary>
    /// The name of the <see cref="System.Net.Http.IHttpClientFactory"/> client requests are sent through when the host
    /// registered a factory (default <see cref="DefaultHttpClientName"/>). Without a factory, the built-in client is used.
    /// </summary>
    public string HttpClientName { get; set; } = DefaultHttpClientName;

    /// <summary>The most bytes of one response body read (default null: 64 MiB; see <c>BatchProviders.Http</c>).</summary>
    public long? MaxResponseBytes { get; set; }

    /// <summary>The engine's limits, retries and timeouts: the <c>Engine</c> subsection, with <see cref="BatchOptions"/>'s defaults.</summary>
    public BatchOptions Engine { get; set; } = new();

    /// <summary>The typed runner's checkpoint, models and stop settings: the <c>Runner</c> subsection.</summary>
    public TypedBatchOptions Runner { get; set; } = new();
}
