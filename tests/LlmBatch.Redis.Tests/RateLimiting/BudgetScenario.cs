using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using LlmBatch.Providers;
using LlmBatch.Redis.RateLimiting;
using LlmBatch.Simulator;
using StackExchange.Redis;

namespace LlmBatch.Redis.Tests.RateLimiting;

/// <summary>
/// Engines ("processes": each its own builder, controller and budget) running one job file each against one
/// simulator through a budget in Redis, with every answer's time recorded, and the checks the tests share.
/// </summary>
internal sealed class BudgetScenario : IDisposable
{
    public const string ApiKey = "sk-test-9f8e7d6c5b4a39281706";

    private readonly string _dir = Directory.CreateTempSubdirectory("llmbatch-redis-budget-").FullName;

    public BudgetScenario(SimulatorServer simulator, IConnectionMultiplexer redis, string prefix)
    {
        Simulator = simulator;
        Redis = redis;
        Prefix = prefix;
    }

    public SimulatorServer Simulator { get; }

    public IConnectionMultiplexer Redis { get; }

    public string Prefix { get; }

    /// <summary>The options every engine of the scenario shares: one endpoint, one key.</summary>
    public RedisRateBudgetOptions Options(string jobId) =>
        new() { KeyPrefix = Prefix, Endpoint = Simulator.BaseUrl, ApiKey = ApiKey, JobId = jobId };

    /// <summary>
    /// Runs <paramref name="items"/> items as one engine of job <paramref name="jobId"/>; <paramref name="started"/>
    /// is told of the run before it starts, to watch its answers as they come.
    /// </summary>
    public async Task<EngineRun> RunAsync(string name, string jobId, int items, BatchOptions? batch = null, Action<EngineRun>? started = null, CancellationToken cancellationToken = default)
    {
        var input = Path.Combine(_dir, name + ".jsonl");
        var output = Path.Combine(_dir, name + ".out.jsonl");
        await using (var w = new StreamWriter(input))
        {
            for (var i = 0; i < items; i++)
            {
                var body = JsonSerializer.Serialize(new
                {
                    model = "gpt-4o-mini",
                    messages = new[] { new { role = "user", content = $"Say something about {name} item {i}." } },
                    max_tokens = 16,
                });
                await w.WriteLineAsync($$$"""{"custom_id":"{{{name}}}-{{{i}}}","method":"POST","url":"/v1/chat/completions","body":{{{body}}}}""");
            }
        }

        var run = new EngineRun(name);
        started?.Invoke(run);
        using var engine = new BatchEngineBuilder(BatchProviders.Http(Simulator.BaseUrl, ApiKey))
            .WithOptions(batch ?? new BatchOptions())
            .Use(next => new AnswerClock(next, run.Answers))
            .WithRedisRateBudget(Redis, Options(jobId))
            .Build();
        var result = await BatchJob.RunAsync(engine, new BatchJobOptions { InputPath = input, OutputPath = output }, cancellationToken);
        run.Finished = Stopwatch.GetTimestamp();
        run.Result = result;
        run.Lines = File.ReadAllLines(output).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        run.Items = items;
        return run;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Every key and every value under the prefix, as text: what a scan of the server would show.</summary>
    public async Task<string> DumpAsync()
    {
        var db = Redis.GetDatabase();
        var text = new System.Text.StringBuilder();
        foreach (var endpoint in Redis.GetEndPoints())
        {
            await foreach (var key in Redis.GetServer(endpoint).KeysAsync(pattern: "*"))
            {
                text.Append(key.ToString()).Append(' ');
                var type = await db.KeyTypeAsync(key);
                switch (type)
                {
                    case RedisType.Hash:
                        foreach (var e in await db.HashGetAllAsync(key))
                        {
                            text.Append(e.Name.ToString()).Append('=').Append(e.Value.ToString()).Append(' ');
                        }

                        break;
                    case RedisType.SortedSet:
                        foreach (var e in await db.SortedSetRangeByRankWithScoresAsync(key))
                        {
                            text.Append(e.Element.ToString()).Append(' ');
                        }

                        break;
                    case RedisType.String:
                        text.Append(await db.StringGetAsync(key));
                        break;
                    default:
                        text.Append(type);
                        break;
                }

                text.AppendLine();
            }
        }

        return text.ToString();
    }

    /// <summary>Every item of the run has one line, a 200 with content.</summary>
    public static void AssertAllCorrect(EngineRun run)
    {
        Assert.Equal(run.Items, run.Lines.Count);
        Assert.Equal(run.Items, run.Lines.Select(l => l.GetProperty("custom_id").GetString()).Distinct().Count());
        foreach (var line in run.Lines)
        {
            Assert.Equal(JsonValueKind.Null, line.GetProperty("error").ValueKind);
            var response = line.GetProperty("response");
            Assert.Equal(200, response.GetProperty("status_code").GetInt32());
            Assert.False(string.IsNullOrEmpty(response.GetProperty("body").GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()));
        }
    }

    /// <summary>One engine's run: its result, its lines, and when each of its successes came back.</summary>
    internal sealed class EngineRun(string name)
    {
        public string Name { get; } = name;

        public ConcurrentQueue<long> Answers { get; } = new();

        public long Finished { get; set; }

        public int Items { get; set; }

        public BatchJobResult Result { get; set; } = null!;

        public List<JsonElement> Lines { get; set; } = [];

        /// <summary>Successes answered in [from, to) (Stopwatch timestamps).</summary>
        public int AnsweredBetween(long from, long to) => Answers.Count(a => a >= from && a < to);
    }

    /// <summary>Middleware that notes when each successful answer came back.</summary>
    private sealed class AnswerClock(IBatchHandler next, ConcurrentQueue<long> answers) : IBatchHandler
    {
        public async ValueTask<BatchResponse> SendAsync(BatchCall item, CancellationToken cancellationToken)
        {
            var response = await next.SendAsync(item, cancellationToken);
            if (response.StatusCode == 200)
            {
                answers.Enqueue(Stopwatch.GetTimestamp());
            }

            return response;
        }

        public void Dispose() => next.Dispose();
    }
}
