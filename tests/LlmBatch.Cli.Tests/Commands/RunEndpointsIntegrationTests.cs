using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using LlmBatch.Endpoints;
using LlmBatch.Providers;
using LlmBatch.Simulator;

namespace LlmBatch.Cli.Tests.Commands;

/// <summary>
/// Several endpoints in one run against real simulators over loopback: the engine (the library) and
/// <c>llmbatch run --endpoints FILE</c> (a real CLI process).
/// </summary>
public sealed class RunEndpointsIntegrationTests : TempDirTest
{
    private string WriteInput(int count)
    {
        var path = Path.Combine(Dir, "requests.jsonl");
        using var w = new StreamWriter(path);
        for (var i = 0; i < count; i++)
        {
            var body = JsonSerializer.Serialize(new { model = "gpt-4o-mini", messages = new[] { new { role = "user", content = $"Item {i}." } }, max_tokens = 16 });
            w.WriteLine($$$"""{"custom_id":"item-{{{i}}}","method":"POST","url":"/v1/chat/completions","body":{{{body}}}}""");
        }

        return path;
    }

    private static SimulatorOptions Sim(int rpm = 0, double p500 = 0, string? key = null) => new()
    {
        RequestsPerMinute = rpm,
        P500 = p500,
        ApiKey = key,
        Latency = TimeSpan.FromMilliseconds(20),
        PerToken = TimeSpan.Zero,
        CompletionTokens = 8,
        Seed = 11,
    };

    /// <summary>A loopback port nobody listens on: connections to it are refused.</summary>
    private static Uri ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}/v1");
    }

    [Fact]
    public async Task Engine_ThreeSimulatorsWithDifferentLimits_EveryItemOnceAndLoadInProportionToTheLimits()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var small = await SimulatorServer.StartAsync(Sim(rpm: 1200), ct);
        await using var medium = await SimulatorServer.StartAsync(Sim(rpm: 2400), ct);
        await using var large = await SimulatorServer.StartAsync(Sim(rpm: 3600), ct);
        var input = WriteInput(480);
        var output = Path.Combine(Dir, "results.jsonl");
        using var engine = new BatchEngineBuilder([
            new BatchEndpoint("small", BatchProviders.Http(small.BaseUrl, "sk-a")),
            new BatchEndpoint("medium", BatchProviders.Http(medium.BaseUrl, "sk-b")),
            new BatchEndpoint("large", BatchProviders.Http(large.BaseUrl, "sk-c")),
        ]).Build();

        var result = await BatchJob.RunAsync(engine, new BatchJobOptions { InputPath = input, OutputPath = output }, ct);

        var lines = RunIntegrationTests.ReadOutput(output);
        RunIntegrationTests.AssertOneCorrectLinePerId(lines, 480);
        Assert.Equal(480, result.Summary.Succeeded);
        var byEndpoint = lines.GroupBy(l => l.GetProperty("llmbatch").GetProperty("endpoint").GetString()!).ToDictionary(g => g.Key, g => g.Count() / 480.0);

        // Limits learned from each simulator's own headers: a sixth, a third and a half, give or take the start.
        Assert.InRange(byEndpoint.GetValueOrDefault("small"), 0.08, 0.26);
        Assert.InRange(byEndpoint.GetValueOrDefault("medium"), 0.22, 0.44);
        Assert.InRange(byEndpoint.GetValueOrDefault("large"), 0.38, 0.62);
        var answered429 = small.GetStats().RateLimitedRequests + medium.GetStats().RateLimitedRequests + large.GetStats().RateLimitedRequests;
        Assert.True(answered429 < 24, $"{answered429} requests answered 429");
        Assert.All(new[] { small, medium, large }, s => Assert.Equal(0, s.GetStats().DuplicateSuccesses));
        Assert.Equal(3, engine.GetProgress().Endpoints.Count(e => e.RequestsPerMinuteLimit is not null));
    }

    [Fact]
    public async Task Engine_OneEndpointDownAndOneAnswering500_ItemsCompleteOnTheThird()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var failing = await SimulatorServer.StartAsync(Sim(p500: 1.0), ct);
        await using var good = await SimulatorServer.StartAsync(Sim(), ct);
        var input = WriteInput(200);
        var output = Path.Combine(Dir, "results.jsonl");
        using var engine = new BatchEngineBuilder([
            new BatchEndpoint("down", BatchProviders.Http(ClosedPort(), null)),
            new BatchEndpoint("failing", BatchProviders.Http(failing.BaseUrl, null)),
            new BatchEndpoint("good", BatchProviders.Http(good.BaseUrl, null)),
        ]).WithOptions(new BatchOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(10), RetryMaxDelay = TimeSpan.FromMilliseconds(50) }).Build();

        var result = await BatchJob.RunAsync(engine, new BatchJobOptions { InputPath = input, OutputPath = output }, ct);

        var lines = RunIntegrationTests.ReadOutput(output);
        RunIntegrationTests.AssertOneCorrectLinePerId(lines, 200);
        Assert.Equal(200, result.Summary.Succeeded);
        Assert.All(lines, l =>
        {
            Assert.Equal("good", l.GetProperty("llmbatch").GetProperty("endpoint").GetString());
            Assert.InRange(l.GetProperty("llmbatch").GetProperty("attempts").GetInt32(), 1, 2);
        });
        var progress = engine.GetProgress().Endpoints;
        Assert.NotEqual(EndpointState.Healthy, progress[0].State);
        Assert.NotEqual(EndpointState.Healthy, progress[1].State);
        Assert.Equal("unreachable", progress[0].LastError);
        Assert.Equal("HTTP 500", progress[1].LastError);
        Assert.Equal(0, good.GetStats().DuplicateSuccesses);
    }

    [Fact]
    public async Task Cli_EndpointsFile_EachLineNamesItsEndpointAndNoKeyIsEverPrinted()
    {
        var ct = TestContext.Current.CancellationToken;
        const string keyA = "sk-endpoint-a-5c1d2e3f4a5b6c7d8e9f";
        const string keyB = "sk-endpoint-b-0a9b8c7d6e5f4a3b2c1d";
        await using var a = await SimulatorServer.StartAsync(Sim(rpm: 3000, key: keyA), ct);
        await using var b = await SimulatorServer.StartAsync(Sim(rpm: 3000, key: keyB), ct);
        var input = WriteInput(120);
        var output = Path.Combine(Dir, "results.jsonl");
        var endpoints = Path.Combine(Dir, "endpoints.json");
        File.WriteAllText(endpoints, $$"""
            {"endpoints": [
              {"name": "a", "base_url": "{{a.BaseUrl}}", "api_key_env": "LLMBATCH_TEST_KEY_A", "rpm": 3000},
              {"name": "b", "base_url": "{{b.BaseUrl}}", "api_key_env": "LLMBATCH_TEST_KEY_B", "weight": 2},
              {"name": "c", "base_url": "http://127.0.0.1:9/v1", "api_key_env": "LLMBATCH_TEST_KEY_UNSET"}
            ]}
            """);

        var (code, stdout, stderr) = await CliProcess.RunAsync(
            ["run", input, "-o", output, "--endpoints", endpoints, "--progress", "plain"],
            [("LLMBATCH_TEST_KEY_A", keyA), ("LLMBATCH_TEST_KEY_B", keyB), ("LLMBATCH_TEST_KEY_UNSET", null)],
            ct);

        Assert.True(code == 0, stderr);
        var lines = RunIntegrationTests.ReadOutput(output);
        RunIntegrationTests.AssertOneCorrectLinePerId(lines, 120);
        Assert.All(lines, l => Assert.Contains(l.GetProperty("llmbatch").GetProperty("endpoint").GetString(), new[] { "a", "b" }));
        Assert.True(a.GetStats().TotalRequests > 0 && b.GetStats().TotalRequests > 0);
        Assert.Contains("endpoint c (entry 2 of " + endpoints + ") left out: its key variable LLMBATCH_TEST_KEY_UNSET is not set", stderr, StringComparison.Ordinal);
        Assert.Contains("endpoints: a ", stderr, StringComparison.Ordinal);
        Assert.Contains("endpoint  a:", stdout, StringComparison.Ordinal);
        Assert.Contains("endpoint  b:", stdout, StringComparison.Ordinal);

        // summary.json and report.html carry each endpoint: items from the lines, attempts and state from the live run.
        using (var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "summary.json"))))
        {
            var figures = summary.RootElement.GetProperty("endpoints");
            Assert.Equal(120, figures.GetProperty("a").GetProperty("items").GetInt64() + figures.GetProperty("b").GetProperty("items").GetInt64());
            Assert.True(figures.GetProperty("a").GetProperty("attempts").GetInt64() > 0);
            Assert.Equal("healthy", figures.GetProperty("b").GetProperty("state").GetString());
        }

        Assert.Contains("<h2>Endpoints</h2>", File.ReadAllText(Path.Combine(Dir, "report.html")), StringComparison.Ordinal);

        var written = string.Concat(Directory.EnumerateFiles(Dir, "*", SearchOption.AllDirectories).Where(f => f != input).Select(File.ReadAllText));
        foreach (var key in new[] { keyA, keyB })
        {
            Assert.DoesNotContain(key, stdout, StringComparison.Ordinal);
            Assert.DoesNotContain(key, stderr, StringComparison.Ordinal);
            Assert.DoesNotContain(key, written, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Cli_BadEndpointsFile_Exit2NamingFileEntryAndFieldOfEveryProblemWithoutQuotingAKey()
    {
        var ct = TestContext.Current.CancellationToken;
        var input = WriteInput(3);
        var endpoints = Path.Combine(Dir, "endpoints.json");
        File.WriteAllText(endpoints, """
            [
              {"name": "ok", "base_url": "http://127.0.0.1:9/v1"},
              {"name": "no-url", "rpm": 100},
              {"name": "bad", "base_url": "ftp://example.com", "rpm": -1, "api_key_env": "sk-proj-pasted-key-1234567890", "wieght": 2}
            ]
            """);

        var (code, _, stderr) = await CliProcess.RunAsync(["run", input, "--endpoints", endpoints, "--progress", "none", "--no-report"], ct);

        Assert.Equal(2, code);
        Assert.Contains($"{endpoints}: entry 1: base_url: missing", stderr, StringComparison.Ordinal);
        Assert.Contains($"{endpoints}: entry 2: base_url:", stderr, StringComparison.Ordinal);
        Assert.Contains($"{endpoints}: entry 2: rpm:", stderr, StringComparison.Ordinal);
        Assert.Contains($"{endpoints}: entry 2: api_key_env:", stderr, StringComparison.Ordinal);
        Assert.Contains($"{endpoints}: entry 2: wieght: unknown field", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-proj-pasted-key", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Dir, "requests.results.jsonl")));
    }

    [Fact]
    public async Task Cli_NoEndpointHasItsKey_Exit2AndNothingSent()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sim = await SimulatorServer.StartAsync(Sim(), ct);
        var input = WriteInput(3);
        var endpoints = Path.Combine(Dir, "endpoints.json");
        File.WriteAllText(endpoints, $$"""[{"base_url": "{{sim.BaseUrl}}", "api_key_env": "LLMBATCH_TEST_NOT_SET"}]""");

        var (code, _, stderr) = await CliProcess.RunAsync(["run", input, "--endpoints", endpoints, "--progress", "none", "--no-report"], [("LLMBATCH_TEST_NOT_SET", null)], ct);

        Assert.Equal(2, code);
        Assert.Contains("no endpoint can be used", stderr, StringComparison.Ordinal);
        Assert.Contains("LLMBATCH_TEST_NOT_SET is not set", stderr, StringComparison.Ordinal);
        Assert.Equal(0, sim.GetStats().TotalRequests);
    }

    [Fact]
    public async Task Cli_EndpointsWithBaseUrlFlag_Exit2NamingBoth()
    {
        var ct = TestContext.Current.CancellationToken;
        var input = WriteInput(1);
        var endpoints = Path.Combine(Dir, "endpoints.json");
        File.WriteAllText(endpoints, """[{"base_url": "http://127.0.0.1:9/v1"}]""");

        var (code, _, stderr) = await CliProcess.RunAsync(["run", input, "--endpoints", endpoints, "--base-url", "http://127.0.0.1:9/v1", "--rpm", "10"], ct);

        Assert.Equal(2, code);
        Assert.Contains("--base-url cannot be combined with --endpoints", stderr, StringComparison.Ordinal);
        Assert.Contains("--rpm cannot be combined with --endpoints", stderr, StringComparison.Ordinal);
    }
}
