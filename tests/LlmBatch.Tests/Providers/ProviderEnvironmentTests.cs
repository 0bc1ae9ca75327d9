using LlmBatch.Providers;

namespace LlmBatch.Tests.Providers;

public sealed class ProviderEnvironmentTests
{
    private const string Key = "sk-env-SECRET-123";

    private static Func<string, string?> Env(params (string Name, string Value)[] vars)
    {
        var map = vars.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);
        return name => map.GetValueOrDefault(name);
    }

    [Fact]
    public void Resolve_BaseUrlOption_WinsOverEnvironment()
    {
        var endpoint = ProviderEnvironment.Resolve("http://localhost:11434/v1", null, Env(("OPENAI_BASE_URL", "http://other/v1"), ("OPENAI_API_KEY", Key)));

        Assert.True(endpoint.IsResolved);
        Assert.Equal(new Uri("http://localhost:11434/v1"), endpoint.BaseUrl);
        Assert.Equal("--base-url", endpoint.BaseUrlSource);
        Assert.Equal(Key, endpoint.ApiKey);
        Assert.Equal("OPENAI_API_KEY", endpoint.KeySource);
    }

    [Fact]
    public void Resolve_BaseUrlFromEnvironmentWithoutKey_ResolvedWithNoKey()
    {
        var endpoint = ProviderEnvironment.Resolve(null, null, Env(("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1")));

        Assert.True(endpoint.IsResolved);
        Assert.Equal("OPENAI_BASE_URL", endpoint.BaseUrlSource);
        Assert.Null(endpoint.ApiKey);
        Assert.Null(endpoint.KeySource);
    }

    [Fact]
    public void Resolve_OnlyKey_DefaultsToOpenAI()
    {
        var endpoint = ProviderEnvironment.Resolve(null, null, Env(("OPENAI_API_KEY", Key)));

        Assert.True(endpoint.IsResolved);
        Assert.Equal(new Uri("https://api.openai.com/v1"), endpoint.BaseUrl);
        Assert.Equal(Key, endpoint.ApiKey);
    }

    [Fact]
    public void Resolve_Nothing_ExplainsWhatToSet()
    {
        var endpoint = ProviderEnvironment.Resolve(null, null, Env());

        Assert.False(endpoint.IsResolved);
        Assert.Null(endpoint.BaseUrl);
        Assert.Contains("--base-url", endpoint.Problem, StringComparison.Ordinal);
        Assert.Contains("OPENAI_BASE_URL", endpoint.Problem, StringComparison.Ordinal);
        Assert.Contains("OPENAI_API_KEY", endpoint.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_AzureHost_PrefersAzureKey()
    {
        var endpoint = ProviderEnvironment.Resolve("https://res.openai.azure.com/openai/v1?api-version=preview", null, Env(("AZURE_OPENAI_API_KEY", "azure-SECRET"), ("OPENAI_API_KEY", Key)));

        Assert.Equal("azure-SECRET", endpoint.ApiKey);
        Assert.Equal("AZURE_OPENAI_API_KEY", endpoint.KeySource);
    }

    [Fact]
    public void Resolve_AzureHostWithoutAzureKey_FallsBackToOpenAIKey()
    {
        var endpoint = ProviderEnvironment.Resolve("https://res.openai.azure.com/openai/v1", null, Env(("OPENAI_API_KEY", Key)));

        Assert.Equal("OPENAI_API_KEY", endpoint.KeySource);
    }

    [Fact]
    public void Resolve_NamedKeyVariable_UsedInsteadOfDefault()
    {
        var endpoint = ProviderEnvironment.Resolve("https://api.groq.com/openai/v1", "GROQ_API_KEY", Env(("GROQ_API_KEY", " gsk-SECRET\n"), ("OPENAI_API_KEY", Key)));

        Assert.Equal("gsk-SECRET", endpoint.ApiKey);
        Assert.Equal("GROQ_API_KEY", endpoint.KeySource);
    }

    [Fact]
    public void Resolve_NamedKeyVariableWithoutBaseUrl_DefaultsToOpenAI()
    {
        var endpoint = ProviderEnvironment.Resolve(null, "MY_KEY", Env(("MY_KEY", Key)));

        Assert.Equal(new Uri("https://api.openai.com/v1"), endpoint.BaseUrl);
        Assert.Equal("MY_KEY", endpoint.KeySource);
    }

    [Fact]
    public void Resolve_NamedKeyVariableUnset_IsAProblem()
    {
        var endpoint = ProviderEnvironment.Resolve("http://localhost:8000/v1", "MY_KEY", Env(("OPENAI_API_KEY", Key)));

        Assert.False(endpoint.IsResolved);
        Assert.Contains("MY_KEY", endpoint.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("localhost:8000/v1")]
    [InlineData("ftp://host/v1")]
    [InlineData("not a url")]
    public void Resolve_InvalidBaseUrl_IsAProblemNamingTheOption(string url)
    {
        var endpoint = ProviderEnvironment.Resolve(url, null, Env(("OPENAI_API_KEY", Key)));

        Assert.False(endpoint.IsResolved);
        Assert.StartsWith("--base-url", endpoint.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_BaseUrlWithCredentials_Refused()
    {
        var endpoint = ProviderEnvironment.Resolve(null, null, Env(("OPENAI_BASE_URL", "https://user:pw-SECRET@host/v1")));

        Assert.False(endpoint.IsResolved);
        Assert.DoesNotContain("SECRET", endpoint.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_Resolved_NeverShowsKey()
    {
        var endpoint = ProviderEnvironment.Resolve(null, null, Env(("OPENAI_API_KEY", Key)));

        var text = endpoint.ToString();

        Assert.DoesNotContain(Key, text, StringComparison.Ordinal);
        Assert.Contains("OPENAI_API_KEY", text, StringComparison.Ordinal);
        Assert.Contains("api.openai.com", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_ProcessEnvironment_ReadsRealVariables()
    {
        // A variable name unique to this test, so parallel tests and the machine's own variables cannot interfere.
        var name = "LLMBATCH_TEST_KEY_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(name, Key);
        try
        {
            var endpoint = ProviderEnvironment.Resolve("http://127.0.0.1:9/v1", name);

            Assert.Equal(Key, endpoint.ApiKey);
            Assert.Equal(name, endpoint.KeySource);
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }
}
