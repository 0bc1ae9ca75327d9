namespace LlmBatch.Endpoints;

/// <summary>Whether an endpoint of several takes attempts (see <see cref="EndpointHealthOptions"/>).</summary>
public enum EndpointState
{
    /// <summary>It takes attempts.</summary>
    Healthy,

    /// <summary>It failed and is out until its break ends; the others carry its items.</summary>
    Out,

    /// <summary>Its break has ended: the next attempt offered to it probes it, and no other goes there before the verdict.</summary>
    Probing,
}
