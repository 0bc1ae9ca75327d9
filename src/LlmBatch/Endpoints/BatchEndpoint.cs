using LlmBatch.Providers;
using LlmBatch.RateLimiting;

namespace LlmBatch.Endpoints;

/// <summary>
/// One of several endpoints (servers, deployments or keys) that share one engine's work: see
/// <see cref="BatchEngineBuilder(IEnumerable{BatchEndpoint})"/>. Each has its own request and token budgets (learned
/// from its own headers unless given here), its own concurrency limit and its own health: an endpoint that fails is
/// taken out for a while and the others carry its items.
/// </summary>
public sealed class BatchEndpoint
{
    /// <summary>Creates an endpoint over a provider.</summary>
    /// <param name="name">The name written on each output line it answers (<c>llmbatch.endpoint</c>), in progress and in reports; unique within the engine.</param>
    /// <param name="provider">The handler that sends an attempt there (for example <see cref="BatchProviders.Http"/>); the engine owns it and disposes it.</param>
    public BatchEndpoint(string name, IBatchHandler provider)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(provider);
        Name = name;
        Provider = provider;
    }

    /// <summary>The endpoint's name: safe to print, never the key.</summary>
    public string Name { get; }

    /// <summary>The handler that sends an attempt to this endpoint.</summary>
    public IBatchHandler Provider { get; }

    /// <summary>
    /// This endpoint's requests per minute at most, or null (default) for <see cref="BatchOptions.RequestsPerMinute"/>
    /// (learned from the endpoint's own headers when that is null too).
    /// </summary>
    public double? RequestsPerMinute { get; init; }

    /// <summary>
    /// This endpoint's tokens per minute at most, or null (default) for <see cref="BatchOptions.TokensPerMinute"/>
    /// (learned from the endpoint's own headers when that is null too).
    /// </summary>
    public double? TokensPerMinute { get; init; }

    /// <summary>
    /// How often this endpoint is tried first when several have room at once, relative to the others (default 1).
    /// When every endpoint is busy, their limits decide the split: an attempt goes to the first that admits it.
    /// </summary>
    public double Weight { get; init; } = 1;

    /// <summary>
    /// The model to ask this endpoint for instead of the request body's <c>model</c>, or null (default) to send the
    /// body unchanged. Azure deployments, for one, name the same model differently.
    /// </summary>
    public string? Model { get; init; }

    /// <summary>
    /// Makes this endpoint's budget from its options (its own limits applied), the clock and the endpoint's logger, or null (default) for one in process
    /// memory. The seam for a budget shared by several processes (issue 11: Redis, keyed by the endpoint and a hash of
    /// its key), so that workers drawing on one endpoint together stay at its limit.
    /// </summary>
    internal Func<BatchOptions, TimeProvider, Microsoft.Extensions.Logging.ILogger, IRateBudget>? RateBudget { get; init; }

    /// <summary>Checks every endpoint and the health options, and throws one exception that lists every problem.</summary>
    internal static void Validate(IReadOnlyList<BatchEndpoint> endpoints, EndpointHealthOptions health)
    {
        var problems = new List<string>();
        try
        {
            health.Validate();
        }
        catch (BatchOptionsException e)
        {
            problems.AddRange(e.Problems);
        }

        if (endpoints.Count == 0)
        {
            problems.Add("At least one endpoint is needed.");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < endpoints.Count; i++)
        {
            var e = endpoints[i];
            var at = $"Endpoint {i} ({e.Name})";
            if (string.IsNullOrWhiteSpace(e.Name))
            {
                problems.Add($"Endpoint {i}: the name must not be empty.");
            }
            else if (!names.Add(e.Name))
            {
                problems.Add($"{at}: the name is used by an earlier endpoint; names must be unique.");
            }

            if (e.RequestsPerMinute is { } rpm && !(rpm > 0 && rpm <= BatchOptions.MaxPerMinute))
            {
                problems.Add($"{at}: RequestsPerMinute must be a positive number up to {BatchOptions.MaxPerMinute:0e0} (was {rpm}).");
            }

            if (e.TokensPerMinute is { } tpm && !(tpm > 0 && tpm <= BatchOptions.MaxPerMinute))
            {
                problems.Add($"{at}: TokensPerMinute must be a positive number up to {BatchOptions.MaxPerMinute:0e0} (was {tpm}).");
            }

            if (!(e.Weight > 0 && e.Weight <= 1e6))
            {
                problems.Add($"{at}: Weight must be a positive number up to 1000000 (was {e.Weight}).");
            }

            if (e.Model is { } model && string.IsNullOrWhiteSpace(model))
            {
                problems.Add($"{at}: Model must not be empty when given.");
            }
        }

        if (problems.Count > 0)
        {
            throw new BatchOptionsException(problems);
        }
    }
}
