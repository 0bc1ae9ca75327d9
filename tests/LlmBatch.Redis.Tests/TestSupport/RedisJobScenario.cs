using System.Text;
using System.Text.Json;
using LlmBatch.Redis.Owner;
using LlmBatch.Simulator;

namespace LlmBatch.Redis.Tests.TestSupport;

/// <summary>
/// One job's world for a test: a private redis-server, the simulator, and a temporary folder with an input file of
/// <see cref="Items"/> chat requests (custom_ids <c>r0</c>…). Disposed, it stops both servers and deletes the folder.
/// </summary>
public sealed class RedisJobScenario : IAsyncDisposable
{
    private RedisJobScenario(RedisTestServer redis, SimulatorServer simulator, string directory, int items)
    {
        Redis = redis;
        Simulator = simulator;
        Directory = directory;
        Items = items;
    }

    public RedisTestServer Redis { get; }

    public SimulatorServer Simulator { get; }

    public string Directory { get; }

    public int Items { get; }

    public string InputPath => Path.Combine(Directory, "requests.jsonl");

    public string OutputPath => Path.Combine(Directory, "results.jsonl");

    public static async Task<RedisJobScenario> StartAsync(int items, TimeSpan latency, CancellationToken cancellationToken, int rpm = 0, string? apiKey = null)
    {
        var redis = await RedisTestServer.StartAsync(cancellationToken);
        var simulator = await SimulatorServer.StartAsync(
            new SimulatorOptions { Latency = latency, LatencyJitter = 0, PerToken = TimeSpan.Zero, CompletionTokens = 4, RequestsPerMinute = rpm, BurstSeconds = 1, ApiKey = apiKey },
            cancellationToken);
        var directory = System.IO.Directory.CreateTempSubdirectory("llmbatch-redis-job-").FullName;
        var lines = new StringBuilder();
        for (var i = 0; i < items; i++)
        {
            lines.Append("{\"custom_id\":\"r").Append(i).Append("\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"gpt-4o-mini\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"item ")
                .Append(i).Append("\"}]}}\n");
        }

        await File.WriteAllTextAsync(Path.Combine(directory, "requests.jsonl"), lines.ToString(), cancellationToken);
        return new RedisJobScenario(redis, simulator, directory, items);
    }

    /// <summary>The owner's options for this job, taking part with an HTTP provider to the simulator.</summary>
    public RedisBatchJobOptions OwnerOptions(bool takePart = true, int concurrency = 8) => new()
    {
        Redis = Redis.Url,
        Job = new BatchJobOptions { InputPath = InputPath, OutputPath = OutputPath, ShutdownGracePeriod = TimeSpan.FromSeconds(5) },
        BaseUrl = Simulator.BaseUrl,
        Provider = takePart ? LlmBatch.Providers.BatchProviders.Http(Simulator.BaseUrl, apiKey: null) : null,
        Concurrency = concurrency,
        Lease = TimeSpan.FromSeconds(5),
        OutageAllowance = TimeSpan.FromSeconds(30),
    };

    /// <summary>The custom_ids of the output, one per line, in file order.</summary>
    public IReadOnlyList<string> OutputIds()
    {
        var ids = new List<string>();
        foreach (var line in File.ReadLines(OutputPath))
        {
            using var doc = JsonDocument.Parse(line);
            ids.Add(doc.RootElement.GetProperty("custom_id").GetString()!);
        }

        return ids;
    }

    /// <summary>Asserts the output holds every custom_id exactly once, each a success.</summary>
    public void AssertEachOnce()
    {
        var ids = OutputIds();
        Assert.Equal(Items, ids.Count);
        Assert.Equal(Items, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.All(File.ReadLines(OutputPath), line => Assert.Contains("\"status_code\":200", line, StringComparison.Ordinal));
    }

    public async ValueTask DisposeAsync()
    {
        await Simulator.DisposeAsync();
        await Redis.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
