using System.Text.Json;
using System.Text.Json.Nodes;
using LlmBatch.Simulator;

namespace LlmBatch.Cli.Tests.Commands;

/// <summary>
/// Cost and reuse end to end: the CLI against the simulator on loopback. A rerun with the response cache sends
/// nothing, repeated bodies are sent once, a budget stops the run near its cap and a rerun with a higher one finishes,
/// and the estimate counts the prompt tokens the server counts.
/// </summary>
public sealed class RunCostIntegrationTests : TempDirTest
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private string WriteInput(int count, Func<int, int>? bodyOf = null, string? extra = ",\"temperature\":0")
    {
        var path = Path.Combine(Dir, "requests.jsonl");
        using var w = new StreamWriter(path);
        for (var i = 0; i < count; i++)
        {
            var n = bodyOf?.Invoke(i) ?? i;
            w.WriteLine($$$"""{"custom_id":"item-{{{i}}}","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say something about item {{{n}}}."}],"max_tokens":24{{{extra}}}}}""");
        }

        return path;
    }

    private static Task<SimulatorServer> StartSimulatorAsync() =>
        SimulatorServer.StartAsync(new SimulatorOptions { Latency = TimeSpan.FromMilliseconds(5), Seed = 3 }, Ct);

    private static Dictionary<string, JsonObject> ReadLines(string path) =>
        File.ReadAllLines(path).Select(l => JsonNode.Parse(l)!.AsObject()).ToDictionary(o => o["custom_id"]!.GetValue<string>());

    private static Task<int> RunAsync(params string[] args) => CliApp.RunAsync(["run", .. args, "--progress", "none"]);

    [Fact]
    public async Task Run_RerunWithCacheIntoNewOutput_SendsNothingAndWritesTheSameLines()
    {
        await using var sim = await StartSimulatorAsync();
        var input = WriteInput(120);
        var cache = Path.Combine(Dir, "cache.db");
        var first = Path.Combine(Dir, "first.jsonl");
        var second = Path.Combine(Dir, "second.jsonl");

        Assert.Equal(0, await RunAsync(input, "-o", first, "--base-url", sim.BaseUrl.ToString(), "--cache", cache, "--no-report"));
        var sent = sim.GetStats().TotalRequests;
        Assert.Equal(0, await RunAsync(input, "-o", second, "--base-url", sim.BaseUrl.ToString(), "--cache", cache, "--no-report"));

        Assert.Equal(120, sent);
        Assert.Equal(sent, sim.GetStats().TotalRequests);
        var a = ReadLines(first);
        var b = ReadLines(second);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var (id, line) in b)
        {
            Assert.True(line["llmbatch"]!["cached"]!.GetValue<bool>());
            Assert.Equal(0, line["llmbatch"]!["attempts"]!.GetValue<int>());
            line.Remove("llmbatch");
            a[id].Remove("llmbatch");
            Assert.Equal(a[id].ToJsonString(), line.ToJsonString());
        }
    }

    [Fact]
    public async Task Run_ThirtyPercentOfBodiesRepeat_SendsOnlyDistinctBodiesAndEveryIdGetsItsLine()
    {
        await using var sim = await StartSimulatorAsync();

        // 200 lines, 140 distinct bodies: every 10 lines, the last 3 repeat bodies seen long before (not only in flight).
        var input = WriteInput(200, i => i % 10 >= 7 ? (i * 7) % 140 : (i / 10 * 7) + (i % 10));
        var output = Path.Combine(Dir, "out.jsonl");

        Assert.Equal(0, await RunAsync(input, "-o", output, "--base-url", sim.BaseUrl.ToString(), "--no-report", "--max-concurrency", "4"));

        var distinct = File.ReadAllLines(input).Select(l => JsonNode.Parse(l)!["body"]!.ToJsonString()).Distinct().Count();
        var lines = ReadLines(output);
        Assert.Equal(200, lines.Count);
        Assert.Equal(distinct, sim.GetStats().TotalRequests);
        Assert.Equal(200 - distinct, lines.Values.Count(l => l["llmbatch"]!["shared_with"] is not null));
        Assert.All(lines.Values, l => Assert.Equal(200, l["response"]!["status_code"]!.GetValue<int>()));
    }

    [Fact]
    public async Task Run_SameBodiesWithoutTemperatureZero_AreEachSent()
    {
        await using var sim = await StartSimulatorAsync();
        var input = WriteInput(20, _ => 1, extra: "");
        var output = Path.Combine(Dir, "out.jsonl");

        Assert.Equal(0, await RunAsync(input, "-o", output, "--base-url", sim.BaseUrl.ToString(), "--no-report"));

        Assert.Equal(20, sim.GetStats().TotalRequests);
    }

    [Fact]
    public async Task Run_MaxCostHalfTheFile_StopsWithinOneRequestOfTheCapThenAHigherCapCompletes()
    {
        // One dollar per token makes every figure exact and easy to read.
        var prices = Path.Combine(Dir, "prices.json");
        await File.WriteAllTextAsync(prices, """{"gpt-4o-mini":{"input_per_1m":1000000,"output_per_1m":1000000}}""", Ct);
        var input = WriteInput(60);

        decimal full;
        await using (var reference = await StartSimulatorAsync())
        {
            var refOut = Path.Combine(Dir, "ref", "out.jsonl");
            Directory.CreateDirectory(Path.GetDirectoryName(refOut)!);
            Assert.Equal(0, await RunAsync(input, "-o", refOut, "--base-url", reference.BaseUrl.ToString(), "--prices", prices, "--no-dedupe"));
            full = ReadCost(Path.Combine(Dir, "ref"));
        }

        await using var sim = await StartSimulatorAsync();
        var output = Path.Combine(Dir, "out.jsonl");
        var cap = full / 2;
        Assert.Equal(CliApp.ExitItemsFailed, await RunAsync(input, "-o", output, "--base-url", sim.BaseUrl.ToString(), "--prices", prices, "--max-cost", cap.ToString(System.Globalization.CultureInfo.InvariantCulture), "--max-concurrency", "8"));

        var spent = ReadCost(Dir);
        var worstRequest = 16m + 24m; // a prompt of at most 16 tokens plus max_tokens 24, at $1 a token
        Assert.InRange(spent, cap - worstRequest, cap);
        var written = File.ReadAllLines(output).Length;
        Assert.InRange(written, 1, 59);

        Assert.Equal(0, await RunAsync(input, "-o", output, "--base-url", sim.BaseUrl.ToString(), "--prices", prices, "--max-cost", (full * 2).ToString(System.Globalization.CultureInfo.InvariantCulture)));

        Assert.Equal(60, ReadLines(output).Count);
        var stats = sim.GetStats();
        Assert.Equal(0, stats.DuplicateSuccesses);
        Assert.Equal(60, stats.TotalRequests);
    }

    [Fact]
    public async Task Run_MaxCostWithAModelWithoutPrice_RefusedBeforeSending()
    {
        var input = Path.Combine(Dir, "requests.jsonl");
        await File.WriteAllTextAsync(input, """{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"my-own-model","messages":[{"role":"user","content":"hi"}]}}""" + "\n", Ct);

        Assert.Equal(CliApp.ExitUsage, await RunAsync(input, "--base-url", "http://127.0.0.1:9/v1", "--max-cost", "5"));
    }

    [Fact]
    public async Task Validate_EstimatePromptTokens_EqualTheSimulatorsCount()
    {
        await using var sim = await StartSimulatorAsync();
        var input = WriteInput(80, i => i * 31);
        var (exit, stdout, _) = await CliProcess.RunAsync(["validate", input, "--json"], Ct);
        Assert.Equal(0, exit);
        var estimate = JsonNode.Parse(stdout)!["estimate"]!;
        var estimated = estimate["prompt_tokens"]!.GetValue<long>();
        Assert.NotNull(estimate["online_cost"]);
        Assert.NotNull(estimate["models"]!["gpt-4o-mini"]!["batch_cost"]);

        Assert.Equal(0, await RunAsync(input, "-o", Path.Combine(Dir, "out.jsonl"), "--base-url", sim.BaseUrl.ToString(), "--no-report"));

        Assert.Equal(sim.GetStats().PromptTokens, estimated);
    }

    [Fact]
    public async Task DryRun_WithCache_SaysWhatWouldBeSentAndSendsNothing()
    {
        await using var sim = await StartSimulatorAsync();
        var input = WriteInput(30);
        var cache = Path.Combine(Dir, "cache.db");
        Assert.Equal(0, await RunAsync(input, "-o", Path.Combine(Dir, "a.jsonl"), "--base-url", sim.BaseUrl.ToString(), "--cache", cache, "--no-report"));
        var before = sim.GetStats().TotalRequests;

        var (exit, stdout, _) = await CliProcess.RunAsync(["run", input, "-o", Path.Combine(Dir, "b.jsonl"), "--base-url", sim.BaseUrl.ToString(), "--cache", cache, "--dry-run"], Ct);

        Assert.Equal(0, exit);
        Assert.Contains("30 answered from the cache; 0 to send", stdout, StringComparison.Ordinal);
        Assert.Equal(before, sim.GetStats().TotalRequests);
        Assert.False(File.Exists(Path.Combine(Dir, "b.jsonl")));
    }

    [Fact]
    public async Task CacheStatsAndClear_ReportAndEmptyTheFile()
    {
        await using var sim = await StartSimulatorAsync();
        var input = WriteInput(10);
        var cache = Path.Combine(Dir, "cache.db");
        Assert.Equal(0, await RunAsync(input, "-o", Path.Combine(Dir, "a.jsonl"), "--base-url", sim.BaseUrl.ToString(), "--cache", cache, "--no-report"));

        var (exit, stdout, _) = await CliProcess.RunAsync(["cache", "stats", cache], Ct);
        Assert.Equal(0, exit);
        Assert.Contains("answers   10", stdout, StringComparison.Ordinal);
        Assert.Contains("gpt-4o-mini: 10", stdout, StringComparison.Ordinal);

        Assert.Equal(0, await CliApp.RunAsync(["cache", "clear", cache]));
        (_, stdout, _) = await CliProcess.RunAsync(["cache", "stats", cache], Ct);
        Assert.Contains("answers   0", stdout, StringComparison.Ordinal);
    }

    private static decimal ReadCost(string reportDir)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(reportDir, "summary.json")));
        return doc.RootElement.GetProperty("cost").GetProperty("total").GetDecimal();
    }
}
