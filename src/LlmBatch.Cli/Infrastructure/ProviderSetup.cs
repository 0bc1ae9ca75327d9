namespace LlmBatch.Cli.Infrastructure;

/// <summary>
/// Chooses the provider for a run from <c>--base-url</c>, the environment and the input: an OpenAI-compatible
/// endpoint when one is configured. The key is read from the environment only and is never printed.
/// </summary>
internal static class ProviderSetup
{
    /// <summary>Resolves the endpoint or throws a <see cref="BatchOptionsException"/> that says how to configure one.</summary>
    public static (IBatchHandler Handler, string Description) Create(string? baseUrl, string? apiKeyEnv)
    {
        var endpoint = ProviderEnvironment.Resolve(baseUrl, apiKeyEnv);
        if (!endpoint.IsResolved)
        {
            throw new BatchOptionsException([endpoint.Problem ?? "No endpoint is configured."]);
        }

        return (BatchProviders.Http(endpoint.BaseUrl!, endpoint.ApiKey), endpoint.ToString());
    }
}
