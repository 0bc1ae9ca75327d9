using System.Text.Json.Serialization;
using LlmBatch.Redis.Workers;

namespace LlmBatch.Redis.Jobs;

/// <summary>The JSON of what travels through Redis besides request and result lines: the job spec and worker status.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RedisJobSpec))]
[JsonSerializable(typeof(RedisWorkerStatus))]
internal sealed partial class RedisJson : JsonSerializerContext;
