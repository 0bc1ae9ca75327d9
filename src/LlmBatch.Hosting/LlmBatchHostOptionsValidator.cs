using LlmBatch.Providers;
using Microsoft.Extensions.Options;

namespace LlmBatch.Hosting;

/// <summary>
/// Checks every setting at once: the endpoint and key as the command line resolves them, the engine's and the runner's
/// options with their own validation, so start-up fails with one error that lists every problem.
/// </summary>
internal sealed class LlmBatchHostOptionsValidator(Func<string, string?> environment) : IValidateOptions<LlmBatchHostOptions>
{
    public LlmBatchHostOptionsValidator()
        : this(Environment.GetEnvironmentVariable)
    {
    }

    public ValidateOptionsResult Validate(string? name, LlmBatchHostOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        if (Resolve(options, environment).Problem is { } endpoint)
        {
            problems.Add(endpoint);
        }

        if (string.IsNullOrWhiteSpace(options.HttpClientName))
        {
            problems.Add("HttpClientName must not be empty.");
        }

        if (options.MaxResponseBytes is { } max and (< HttpBatchHandler.MinMaxResponseBytes or > HttpBatchHandler.MaxMaxResponseBytes))
        {
            problems.Add($"MaxResponseBytes must be between {HttpBatchHandler.MinMaxResponseBytes} and {HttpBatchHandler.MaxMaxResponseBytes} (was {max}).");
        }

        Collect(problems, "Engine", options.Engine is null ? null : options.Engine.Validate);
        Collect(problems, "Runner", options.Runner is null ? null : options.Runner.Validate);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    /// <summary>The endpoint and key, by the command line's rules, with its messages naming configuration keys instead of flags.</summary>
    internal static ProviderEndpoint Resolve(LlmBatchHostOptions options, Func<string, string?> environment)
    {
        var endpoint = ProviderEnvironment.Resolve(options.BaseUrl, options.ApiKeyVariable, environment);
        return endpoint.Problem is null
            ? endpoint
            : endpoint with
            {
                Problem = endpoint.Problem
                    .Replace("--base-url", "BaseUrl", StringComparison.Ordinal)
                    .Replace("--api-key-env", "ApiKeyVariable", StringComparison.Ordinal),
            };
    }

    private static void Collect(List<string> problems, string section, Action? validate)
    {
        if (validate is null)
        {
            problems.Add($"{section} must not be null.");
            return;
        }

        try
        {
            validate();
        }
        catch (BatchOptionsException ex)
        {
            foreach (var problem in ex.Problems)
            {
                problems.Add($"{section}: {problem}");
            }
        }
    }
}
