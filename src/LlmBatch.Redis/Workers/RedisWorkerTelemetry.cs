using System.Diagnostics.Metrics;
using LlmBatch.Telemetry;

namespace LlmBatch.Redis.Workers;

/// <summary>The scale-out's instruments on LlmBatch's one Meter: every figure carries the <c>worker</c> that made it.</summary>
internal static class RedisWorkerTelemetry
{
    /// <summary>Items a worker finished, by <c>worker</c>, <c>llmbatch.job</c> (not <c>job</c>: Prometheus keeps that label for itself) and <c>outcome</c> (succeeded, failed, duplicate).</summary>
    public static readonly Counter<long> Items = LlmBatchTelemetry.Meter.CreateCounter<long>(
        "llmbatch.worker.items", unit: "{item}", description: "Items a scale-out worker finished, by worker, job and outcome (succeeded, failed, duplicate: answered after another worker had).");

    /// <summary>Items a worker took over after another's lease ran out, by <c>worker</c> and <c>llmbatch.job</c>.</summary>
    public static readonly Counter<long> Reclaimed = LlmBatchTelemetry.Meter.CreateCounter<long>(
        "llmbatch.worker.reclaimed", unit: "{item}", description: "Items a scale-out worker took over after another worker's lease ran out.");
}
