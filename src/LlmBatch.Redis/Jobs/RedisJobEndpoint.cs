namespace LlmBatch.Redis.Jobs;

/// <summary>
/// One of a job's several endpoints (<c>--endpoints FILE</c>), as published in its spec: where to send, the NAME of the
/// environment variable holding the key (never the key), its own limits, weight and model. Each participant runs the
/// endpoints its own environment holds a key for, and draws on each one's budget shared through Redis.
/// </summary>
public sealed record RedisJobEndpoint
{
    /// <summary>The endpoint's name, unique within the job: written on each output line it answers.</summary>
    public required string Name { get; init; }

    /// <summary>The OpenAI-compatible endpoint's API root.</summary>
    public required string BaseUrl { get; init; }

    /// <summary>The name of the environment variable holding its key, or null when it needs none.</summary>
    public string? ApiKeyVariable { get; init; }

    /// <summary>Its requests per minute at most, or null for the job's (learned when that is null too).</summary>
    public double? RequestsPerMinute { get; init; }

    /// <summary>Its tokens per minute at most, or null for the job's (learned when that is null too).</summary>
    public double? TokensPerMinute { get; init; }

    /// <summary>How often it is tried first when several have room (default 1).</summary>
    public double Weight { get; init; } = 1;

    /// <summary>The model to ask it for instead of the request body's, or null to send the body unchanged.</summary>
    public string? Model { get; init; }
}
