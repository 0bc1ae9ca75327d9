namespace LlmBatch.Redis;

/// <summary>Names shared by the Redis scale-out: the key prefix every job, worker and budget key starts with.</summary>
internal static class RedisScaleOut
{
    /// <summary>Every key LlmBatch writes starts with this, so an operator can find (and delete) them with one SCAN.</summary>
    public const string KeyPrefix = "llmbatch:";
}
