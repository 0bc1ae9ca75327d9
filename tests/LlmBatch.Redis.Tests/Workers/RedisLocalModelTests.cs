using System.Text.Json;
using LlmBatch.Redis.Tests.TestSupport;

namespace LlmBatch.Redis.Tests.Workers;

/// <summary>The embedded model scales out: a job with no endpoint runs on the embedded model of each worker process.</summary>
public class RedisLocalModelTests
{
    [Fact(Timeout = 120_000)]
    public async Task Run_EmbeddingsOnTheEmbeddedModelWithAWorkerProcess_EachIdOnceWithAVectorAndTheWorkerTookPart()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await RedisTestServer.StartAsync(ct);
        var dir = Directory.CreateTempSubdirectory("llmbatch-redis-local-").FullName;
        try
        {
            const int items = 300;
            var input = Path.Combine(dir, "in.jsonl");
            var output = Path.Combine(dir, "out.jsonl");
            await File.WriteAllLinesAsync(input, Enumerable.Range(0, items).Select(i =>
                $$$"""{"custom_id":"e{{{i}}}","method":"POST","url":"/v1/embeddings","body":{"model":"local/all-MiniLM-L6-v2","input":"review number {{{i}}}: the product arrived on time and works"}}"""), ct);

            // The worker joins first, so that it takes part from the first items on.
            using var worker = CliChild.Start(["worker", "--redis", redis.Url, "--once", "--concurrency", "2"]);
            using var owner = CliChild.Start(["run", input, "-o", output, "--redis", redis.Url, "--concurrency", "2", "--progress", "none", "--no-report"]);
            var exit = await owner.ExitCodeAsync(ct);
            var workerExit = await worker.ExitCodeAsync(ct);

            Assert.True(exit == 0, owner.Output);
            Assert.True(workerExit == 0, worker.Output);
            var lines = File.ReadAllLines(output).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
            Assert.Equal(items, lines.Count);
            Assert.Equal(items, lines.Select(l => l.GetProperty("custom_id").GetString()).Distinct().Count());
            Assert.All(lines, l => Assert.Equal(384, l.GetProperty("response").GetProperty("body").GetProperty("data")[0].GetProperty("embedding").GetArrayLength()));
            Assert.Contains("joins job", worker.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(" 0 item(s) done", worker.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
