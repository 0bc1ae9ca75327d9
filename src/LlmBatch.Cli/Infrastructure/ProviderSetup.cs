using LlmBatch.Endpoints;
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

    public string Description { get; private set; }

    /// <summary>The endpoints of <c>--endpoints FILE</c> that have their keys, or null for a single provider (<see cref="Handler"/>).</summary>
    public IReadOnlyList<BatchEndpoint>? Endpoints { get; private set; }

    /// <summary>What the user should know about the setup (endpoints left out, and why); never a key.</summary>
    public IReadOnlyList<string> Notes { get; private set; } = [];

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

    /// <summary>
    /// Builds one endpoint per entry of an endpoints file (<see cref="EndpointsFile.Read"/>) whose key is in
    /// <paramref name="environment"/>. An entry whose key variable
    /// is not set is left out (and named in <see cref="Notes"/>); embeddings for a <c>local/…</c> model go to the
    /// embedded model whichever endpoint admits them.
    /// </summary>
    /// <exception cref="BatchOptionsException">The file has problems (all listed), or no entry has its key.</exception>
    public static ProviderSetup ForEndpoints(string path, IReadOnlyList<EndpointsFile.Entry> entries, Func<string, string?> environment, long? maxResponseBytes = null)
    {
        var notes = new List<string>();
        var problems = new List<string>();
        var usable = new List<(EndpointsFile.Entry Entry, string? Key)>();
        foreach (var entry in entries)
        {
            var key = entry.ApiKeyEnv is { } variable ? environment(variable)?.Trim() : null;
            if (entry.ApiKeyEnv is not null && string.IsNullOrEmpty(key))
            {
                notes.Add($"endpoint {entry.Name} (entry {entry.Index} of {path}) left out: its key variable {entry.ApiKeyEnv} is not set.");
                continue;
            }

            try
            {
                _ = HttpBatchHandler.AuthHeader(entry.BaseUrl, key);
                usable.Add((entry, key));
            }
            catch (ArgumentException)
            {
                problems.Add($"{path}: entry {entry.Index}: api_key_env: the key in {entry.ApiKeyEnv} holds a character HTTP headers cannot carry (a stray quote, space or line break?).");
            }
        }

        if (problems.Count > 0)
        {
            throw new BatchOptionsException(problems);
        }

        if (usable.Count == 0)
        {
            throw new BatchOptionsException([$"{path}: no endpoint can be used: {string.Join("; ", notes)} Set the variables (a worker runs only the endpoints its environment holds keys for); nothing was sent."]);
        }

        var setup = new ProviderSetup(null!, "");
        var local = new Lazy<IBatchHandler>(setup.Local, LazyThreadSafetyMode.ExecutionAndPublication);
        var endpoints = new List<BatchEndpoint>(usable.Count);
        var described = new List<string>(usable.Count);
        foreach (var (entry, key) in usable)
        {
            var http = BatchProviders.Http(entry.BaseUrl, key, maxResponseBytes: maxResponseBytes);
            setup._owned.Add(http);
            var provider = BatchProviders.Route(r => r.Endpoint == BatchEndpointKind.Embeddings && LocalModels.IsLocalModel(r.Model) ? local.Value : null, http);
            endpoints.Add(new BatchEndpoint(entry.Name, provider) { RequestsPerMinute = entry.Rpm, TokensPerMinute = entry.Tpm, Weight = entry.Weight, Model = entry.Model });
            described.Add($"{entry.Name} = {UrlRedaction.Redact(entry.BaseUrl)}{(entry.ApiKeyEnv is null ? ", no key" : ", key from " + entry.ApiKeyEnv)}");
        }

        setup.Handler = endpoints[0].Provider;
        setup.Description = $"{endpoints.Count} endpoint(s) from {path}: {string.Join("; ", described)}";
        setup.Endpoints = endpoints;
        setup.Notes = notes;
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
