using LlmBatch.Input;
using LlmBatch.LocalModel;
using LlmBatch.Providers;

namespace LlmBatch.Cli.Infrastructure;

/// <summary>
/// Chooses the provider for a run. With an endpoint configured (<c>--base-url</c>, <c>OPENAI_BASE_URL</c>, or a key for
/// the standard OpenAI endpoint), requests go there, except embeddings for a <c>local/…</c> model, which the embedded
/// model answers. With no endpoint, every embeddings request goes to the embedded model (offline) and anything else is
/// refused before a request is sent. The key is read from the environment only and never printed.
/// </summary>
internal sealed class ProviderSetup : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    private ProviderSetup(IBatchHandler handler, string description)
    {
        Handler = handler;
        Description = description;
    }

    public IBatchHandler Handler { get; private set; }

    public string Description { get; }

    /// <summary>The endpoint and the key's variable, or null when everything runs on the embedded model.</summary>
    public ProviderEndpoint? Endpoint { get; private init; }

    /// <summary>The embedded model alone, whatever the environment says (a worker of a job with no endpoint).</summary>
    public static ProviderSetup CreateLocal()
    {
        var offline = new ProviderSetup(null!, $"embeddings on the embedded model {LocalModels.EmbeddingModelId}, offline");
        offline.Handler = offline.Local();
        return offline;
    }

    /// <summary>
    /// Builds the provider; <paramref name="endpoints"/> are the input's urls (from validation), to refuse early what
    /// cannot run; <paramref name="maxResponseBytes"/> caps each response body (null for the default).
    /// </summary>
    /// <exception cref="BatchOptionsException">No endpoint for requests that need one, or a key HTTP cannot carry.</exception>
    public static ProviderSetup Create(string? baseUrl, string? apiKeyEnv, IReadOnlyDictionary<string, long> endpoints, long? maxResponseBytes = null)
    {
        var endpoint = ProviderEnvironment.Resolve(baseUrl, apiKeyEnv);
        if (!endpoint.IsResolved)
        {
            var remote = endpoints.Where(e => e.Key != EndpointPaths.Embeddings).Select(e => $"{e.Value:N0} × {e.Key}").ToList();
            if (remote.Count > 0)
            {
                throw new BatchOptionsException([
                    $"The input has requests that need a model server ({string.Join(", ", remote)}) and {endpoint.Problem} " +
                    "Any OpenAI-compatible server works (vLLM, Ollama, LM Studio, llama.cpp, OpenAI, Azure); to try it without one, start `llmbatch simulate` and pass its URL. " +
                    "Only embeddings requests run offline, on the embedded model; nothing was sent.",
                ]);
            }

            var offline = new ProviderSetup(null!, $"no endpoint configured: embeddings on the embedded model {LocalModels.EmbeddingModelId}, offline");
            offline.Handler = offline.Local();
            return offline;
        }

        IBatchHandler http;
        try
        {
            http = BatchProviders.Http(endpoint.BaseUrl!, endpoint.ApiKey, maxResponseBytes: maxResponseBytes);
        }
        catch (ArgumentException ex) when (ex.ParamName == "apiKey")
        {
            // The library's message gives the position of the bad character, never the key itself.
            var reason = ex.Message;
            var cut = reason.IndexOf(" (Parameter", StringComparison.Ordinal);
            throw new BatchOptionsException([$"The key in {endpoint.KeySource} cannot be used: {(cut > 0 ? reason[..cut] : reason)} Check the variable for a stray quote, space or line break; nothing was sent."]);
        }

        var setup = new ProviderSetup(http, endpoint.ToString()) { Endpoint = endpoint };
        if (http is IDisposable disposable)
        {
            setup._owned.Add(disposable);
        }

        // The embedded model is loaded only if a request names it.
        var local = new Lazy<IBatchHandler>(setup.Local, LazyThreadSafetyMode.ExecutionAndPublication);
        setup.Handler = BatchProviders.Route(
            r => r.Endpoint == BatchEndpointKind.Embeddings && LocalModels.IsLocalModel(r.Model) ? local.Value : null,
            http);
        return setup;
    }

    public void Dispose()
    {
        foreach (var d in _owned)
        {
            d.Dispose();
        }
    }

    private IBatchHandler Local()
    {
        var generator = LocalModels.CreateEmbeddingGenerator();
        _owned.Add(generator);
        return BatchProviders.EmbeddingGenerator(generator);
    }
}
