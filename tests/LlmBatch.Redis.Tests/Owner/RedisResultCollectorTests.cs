using LlmBatch.Output;
using LlmBatch.Redis.Jobs;
using LlmBatch.Redis.Owner;
using LlmBatch.Redis.Queue;
using LlmBatch.Redis.Tests.TestSupport;
using StackExchange.Redis;

namespace LlmBatch.Redis.Tests.Owner;

public class RedisResultCollectorTests
{
    [Fact(Timeout = 60_000)]
    public async Task CollectAsync_SameCustomIdAnsweredTwice_OneLineWrittenAndDuplicateCounted()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scenario = await RedisJobScenario.StartAsync(20, TimeSpan.Zero, ct);
        var owner = Task.Run(() => RedisBatchJob.RunAsync(scenario.OwnerOptions(takePart: false), ct), ct);

        // Play a worker by hand: claim every item, and publish one of them twice (as a taken-over item answered twice would be).
        await using var redis = await ConnectionMultiplexer.ConnectAsync(scenario.Redis.Endpoint);
        var db = redis.GetDatabase();
        var jobId = (string)(await WaitForJobAsync(db, ct))!;
        var keys = new RedisJobKeys(jobId);
        var claimed = new List<StreamEntry>();
        while (claimed.Count < scenario.Items)
        {
            claimed.AddRange(await db.StreamReadGroupAsync(keys.Items, RedisJobKeys.WorkersGroup, "hand", StreamPosition.NewMessages, 50));
        }

        foreach (var entry in claimed.Prepend(claimed[3]))
        {
            var request = RedisItemCodec.Decode(entry, "test", out _)!;
            var result = new BatchResult
            {
                CustomId = request.CustomId,
                Id = CustomIdHash.ToResultId(request.CustomId),
                StatusCode = 200,
                ResponseBody = "{\"ok\":true}"u8.ToArray(),
                Stats = new BatchItemStats { Attempts = 1, Statuses = [200], Model = request.Model },
            };
            await db.StreamAddAsync(keys.Results, [new(RedisItemCodec.CustomIdField, request.CustomId), new(RedisItemCodec.ResultField, RedisItemCodec.EncodeResult(result)), new(RedisItemCodec.WorkerField, "hand")]);
        }

        var done = await owner;

        Assert.True(done.Completed);
        Assert.Equal(1, done.Duplicates);
        var ids = scenario.OutputIds();
        Assert.Equal(scenario.Items, ids.Count);
        Assert.Equal(scenario.Items, ids.Distinct(StringComparer.Ordinal).Count());
    }

    private static async Task<RedisValue> WaitForJobAsync(IDatabase db, CancellationToken ct)
    {
        while (true)
        {
            var members = await db.SetMembersAsync(RedisJobKeys.OpenJobs);
            if (members.Length > 0)
            {
                return members[0];
            }

            await Task.Delay(10, ct);
        }
    }
}
