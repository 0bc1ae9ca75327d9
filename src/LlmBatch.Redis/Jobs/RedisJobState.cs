namespace LlmBatch.Redis.Jobs;

/// <summary>The values of the job hash's <c>state</c> field.</summary>
internal static class RedisJobState
{
    /// <summary>Workers may claim items.</summary>
    public const string Open = "open";

    /// <summary>Every custom_id has its line in the owner's output; workers leave.</summary>
    public const string Done = "done";
}
