namespace LlmBatch.BatchApi;

/// <summary>How the planner sends a job.</summary>
public enum BatchPlanChoice
{
    /// <summary>Everything online.</summary>
    Online,

    /// <summary>Everything through the Batch API.</summary>
    Batch,

    /// <summary>Online what fits before the deadline, the Batch API for the rest.</summary>
    Split,
}
