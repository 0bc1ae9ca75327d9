namespace LlmBatch.Providers;

/// <summary>
/// Resolves the endpoint and key the CLI uses, from its options and the environment. The key is only ever read from
/// an environment variable, never from the command line, so it stays out of shell history and process listings.
/// </summary>
/// <remarks>
/// Base URL: the <c>--base-url</c> value if given; else <c>OPENAI_BASE_URL</c>; else <see cref="OpenAIBaseUrl"/> when a
/// key was found. Key: the variable named by <c>--api-key-env</c> if given (it must then be set); else, for Azure
/// hosts, <c>AZURE_OPENAI_API_KEY</c> and then <c>OPENAI_API_KEY</c>; else <c>OPENAI_API_KEY</c>. A base URL with no key
/// is fine (local servers such as Ollama or vLLM need none).
/// </remarks>
internal static class ProviderEnvironment
{
    /// <summary>OpenAI's API root, used when a key is set and no base URL is.</summary>
    public const string OpenAIBaseUrl = "https://api.openai.com/v1";

    /// <summary>The variable for the base URL, as the OpenAI SDKs read it.</summary>
    public const string BaseUrlVariable = "OPENAI_BASE_URL";

    /// <summary>The variable for the key, as the OpenAI SDKs read it.</summary>
    public const string ApiKeyVariable = "OPENAI_API_KEY";

    /// <summary>The variable for the key of Azure OpenAI hosts.</summary>
    public const string AzureApiKeyVariable = "AZURE_OPENAI_API_KEY";

    /// <summary>Resolves the endpoint from the process environment.</summary>
    /// <param name="baseUrl">The <c>--base-url</c> value, or null when not given.</param>
    /// <param name="apiKeyVariable">The <c>--api-key-env</c> value (the name of a variable holding the key), or null.</param>
    /// <returns>The endpoint; check <see cref="ProviderEndpoint.IsResolved"/> and show <see cref="ProviderEndpoint.Problem"/> when false.</returns>
    public static ProviderEndpoint Resolve(string? baseUrl = null, string? apiKeyVariable = null) =>
        Resolve(baseUrl, apiKeyVariable, Environment.GetEnvironmentVariable);

    /// <summary>Resolves the endpoint from a given environment (for tests and hosts with their own configuration).</summary>
    /// <param name="baseUrl">The <c>--base-url</c> value, or null when not given.</param>
    /// <param name="apiKeyVariable">The <c>--api-key-env</c> value, or null.</param>
    /// <param name="environment">Reads an environment variable; returns null when it is not set.</param>
    /// <returns>The endpoint; check <see cref="ProviderEndpoint.IsResolved"/>.</returns>
    public static ProviderEndpoint Resolve(string? baseUrl, string? apiKeyVariable, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);

        string? urlText = null;
        string? urlSource = null;
        if (!string.IsNullOrWhiteSpace(baseUrl))
        {
            (urlText, urlSource) = (baseUrl.Trim(), "--base-url");
        }
        else if (Get(environment, BaseUrlVariable) is { } fromEnv)
        {
            (urlText, urlSource) = (fromEnv, BaseUrlVariable);
        }

        Uri? url = null;
        if (urlText is not null)
        {
            if (!Uri.TryCreate(urlText, UriKind.Absolute, out url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            {
                return new ProviderEndpoint { Problem = $"{urlSource} \"{UrlRedaction.Redact(urlText)}\" is not an absolute http or https URL (for example http://localhost:11434/v1)." };
            }

            if (url.UserInfo.Length > 0)
            {
                // Credentials in a URL end up in logs and reports; the key belongs in an environment variable.
                return new ProviderEndpoint { Problem = $"{urlSource} must not contain a user name or password; put the key in {ApiKeyVariable} or a variable named by --api-key-env." };
            }
        }

        string? key;
        string? keySource;
        if (!string.IsNullOrWhiteSpace(apiKeyVariable))
        {
            keySource = apiKeyVariable.Trim();
            key = Get(environment, keySource);
            if (key is null)
            {
                return new ProviderEndpoint { Problem = $"the environment variable {keySource} named by --api-key-env is not set or is empty." };
            }
        }
        else if (url is not null && HttpBatchHandler.IsAzureHost(url.Host) && Get(environment, AzureApiKeyVariable) is { } azureKey)
        {
            (key, keySource) = (azureKey, AzureApiKeyVariable);
        }
        else
        {
            key = Get(environment, ApiKeyVariable);
            keySource = key is null ? null : ApiKeyVariable;
        }

        if (url is null)
        {
            if (key is null)
            {
                return new ProviderEndpoint
                {
                    Problem = $"no endpoint: pass --base-url (for example http://localhost:11434/v1), or set {BaseUrlVariable}, or set {ApiKeyVariable} to use {OpenAIBaseUrl}.",
                };
            }

            url = new Uri(OpenAIBaseUrl);
            urlSource = $"the OpenAI default, as {keySource} is set";
        }

        return new ProviderEndpoint { BaseUrl = url, BaseUrlSource = urlSource, ApiKey = key, KeySource = keySource };
    }

    private static string? Get(Func<string, string?> environment, string name)
    {
        var value = environment(name)?.Trim();
        return string.IsNullOrEmpty(value) ? null : value;
    }
}
