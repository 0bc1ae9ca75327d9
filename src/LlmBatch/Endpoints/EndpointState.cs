namespace LlmBatch.Endpoints;

/// <summary>Whether an endpoint of several takes attempts (see <see cref="EndpointHealthOptions"/>).</summary>
public enum EndpointState
{
    /// <summary>It takes attempts.</summary>
    Healthy,

    /// <summary>It failed and is out until its break ends; the others carry its items.</summary>
    Out,

    /// <summary>Its break has ended: one attempt probes it, the others wait for the verdict.</summary>
    Probing,
}
